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

  /** False without WEBHOOK_URL: record() then writes nothing. */
  get recording(): boolean {
    return this.outbox.enabled;
  }

  /** One event per connection, each showing the connection as a caller would read it now. */
  async record(
    type: WebhookEventType,
    connections: ConnectionRecord[],
    tx: Transaction,
  ): Promise<void> {
    await this.outbox.record(
      type,
      (at) => connections.map((connection) => toConnectionDto(connection, at)),
      tx,
    );
  }

  /** A consent for another owner was refused: the owning service hears of it. */
  async recordOwnerConflict(
    connection: ConnectionRecord,
    attemptedOwnerId: string | undefined,
    tx: Transaction,
  ): Promise<void> {
    await this.outbox.record(
      'connection.owner_conflict',
      (at) => [toConnectionDto(connection, at)],
      tx,
      { attemptedOwnerId },
    );
  }

  /** Drops every earlier event naming these connections (Meta's data deletion). */
  async forget(igUserIds: string[], tx: Transaction): Promise<void> {
    await this.outbox.forgetConnections(igUserIds, tx);
  }
}
