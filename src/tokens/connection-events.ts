import { Injectable } from '@nestjs/common';
import type { Transaction } from '../database/transactions.js';
import type { WebhookEventType } from '../webhooks/webhook-event.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import { toConnectionDto } from './connection.mapper.js';
import type { ConnectionRecord } from './connection.record.js';

/** The vault's side of the outbox: connection changes as events, in the change's transaction. */
@Injectable()
export class ConnectionEvents {
  constructor(private readonly outbox: WebhookOutbox) {}

  /** One event per connection, each showing the connection as a caller would read it now. */
  async record(
    tx: Transaction,
    type: WebhookEventType,
    connections: ConnectionRecord[],
  ): Promise<void> {
    const at = new Date();
    const snapshots = connections.map((connection) => toConnectionDto(connection, at));
    await this.outbox.record(tx, type, snapshots, at);
  }

  /** Drops every earlier event naming these connections (Meta's data deletion). */
  async forget(tx: Transaction, igUserIds: string[]): Promise<void> {
    await this.outbox.forgetConnections(tx, igUserIds);
  }
}
