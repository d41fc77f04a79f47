import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Names this app instance in leases; unique even for two instances in one process. */
export function newReplicaId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
