import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import pg from 'pg';
import type { AppConfig, DatabaseConfig } from '../config/app-config.js';

export class ReplicaIdInUseError extends Error {
  constructor(replicaId: string) {
    super(
      `REPLICA_ID "${replicaId}" is in use by another running replica; give each replica its own`,
    );
    this.name = 'ReplicaIdInUseError';
  }
}

/**
 * This replica's claim to its REPLICA_ID: a PostgreSQL advisory lock held on a session of its
 * own for as long as the process lives. Leases are named after REPLICA_ID and a replica takes
 * its own back when it boots, so two live processes under one id would free each other's work;
 * the lock makes the second refuse to start. A crashed process's session dies with it, so a
 * restart under the same id gets the lock (and its leases) back at once.
 */
@Injectable()
export class ReplicaLock implements OnApplicationShutdown {
  private readonly logger = new Logger(ReplicaLock.name);
  private readonly replicaId: string;
  private readonly database: DatabaseConfig;
  private session: pg.Client | undefined;
  private acquiring: Promise<boolean> | undefined;
  private closed = false;

  constructor(config: ConfigService<AppConfig, true>) {
    this.replicaId = config.get('refresh', { infer: true }).replicaId;
    this.database = config.get('database', { infer: true });
  }

  /** Whether this process holds the id now. */
  get held(): boolean {
    return this.session !== undefined;
  }

  /**
   * Takes the lock, or confirms it is held. Answers false while the database cannot be reached
   * (try again later); throws ReplicaIdInUseError when another live replica holds it.
   */
  acquire(): Promise<boolean> {
    if (this.session !== undefined) {
      return Promise.resolve(true);
    }
    this.acquiring ??= this.tryLock().finally(() => {
      this.acquiring = undefined;
    });
    return this.acquiring;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await this.acquiring?.catch(() => undefined);
    await this.session?.end().catch(() => undefined);
    this.session = undefined;
  }

  private async tryLock(): Promise<boolean> {
    if (this.closed) {
      return false;
    }
    const session = new pg.Client({
      connectionString: this.database.url,
      connectionTimeoutMillis: this.database.timeoutMs,
      query_timeout: this.database.timeoutMs,
      keepAlive: true,
      application_name: `instagram-token-vault replica ${this.replicaId}`.slice(0, 63),
    });
    // A lost session is a lost lock: the next acquire() takes it again.
    session.on('error', () => undefined);
    session.on('end', () => {
      if (this.session === session) {
        this.session = undefined;
        if (!this.closed) {
          // Part of a database outage, which the pool logs; taken again on the next sweep.
          this.logger.debug({ replicaId: this.replicaId }, 'replica lock session lost');
        }
      }
    });
    let locked: boolean;
    try {
      await session.connect();
      const { rows } = await session.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
        [`instagram-token-vault:replica:${this.replicaId}`],
      );
      locked = rows[0]?.locked === true;
    } catch {
      await session.end().catch(() => undefined);
      return false;
    }
    if (!locked) {
      await session.end().catch(() => undefined);
      throw new ReplicaIdInUseError(this.replicaId);
    }
    if (this.closed) {
      await session.end().catch(() => undefined);
      return false;
    }
    this.session = session;
    return true;
  }
}
