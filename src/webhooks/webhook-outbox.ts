import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/app-config.js';
import type { Transaction } from '../database/transactions.js';
import type {
  ConnectionSnapshot,
  WebhookEventBody,
  WebhookEventDetails,
  WebhookEventType,
} from './webhook-event.js';
import { WebhookEventsRepository } from './webhook-events.repository.js';

/**
 * Writes webhook events inside the caller's transaction, so an event exists exactly when its
 * change was committed. Writes nothing when no WEBHOOK_URL is configured.
 */
@Injectable()
export class WebhookOutbox {
  /** False without WEBHOOK_URL: record() then writes nothing. */
  readonly enabled: boolean;

  constructor(
    private readonly events: WebhookEventsRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.enabled = config.get('webhook', { infer: true }) !== undefined;
  }

  /**
   * One event of `type` per connection that `snapshots` shows, as a caller would read each at the
   * event's time. Snapshots are built only when events are written: a sweep records one event
   * per refreshed token.
   */
  async record<C extends ConnectionSnapshot>(
    type: WebhookEventType,
    snapshots: (createdAt: Date) => C[],
    tx: Transaction,
    details: WebhookEventDetails = {},
  ): Promise<void> {
    if (!this.enabled) {
      return;
    }
    const createdAt = new Date();
    const connections = snapshots(createdAt);
    if (connections.length === 0) {
      return;
    }
    const bodies = connections.map((connection): WebhookEventBody<C> => ({
      id: randomUUID(),
      type,
      createdAt: createdAt.toISOString(),
      data: { connection, ...details },
    }));
    await this.events.insert(bodies, createdAt, tx);
  }

  /** Deletes every event naming these connections (Meta's data deletion keeps none). */
  async forgetConnections(igUserIds: string[], tx: Transaction): Promise<void> {
    await this.events.deleteNaming(igUserIds, tx);
  }
}
