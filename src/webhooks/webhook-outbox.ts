import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/app-config.js';
import type { Prisma } from '../generated/prisma/client.js';
import { toConnectionDto } from '../tokens/connection.mapper.js';
import type { ConnectionRecord } from '../tokens/connection.record.js';
import type { WebhookEventBody, WebhookEventDetails, WebhookEventType } from './webhook-event.js';

/**
 * Writes webhook events inside the caller's transaction, so an event exists exactly when its
 * change was committed. Writes nothing when no WEBHOOK_URL is configured.
 */
@Injectable()
export class WebhookOutbox {
  private readonly enabled: boolean;

  constructor(config: ConfigService<AppConfig, true>) {
    this.enabled = config.get('webhook', { infer: true }) !== undefined;
  }

  async record(
    tx: Prisma.TransactionClient,
    type: WebhookEventType,
    connections: ConnectionRecord[],
    details: WebhookEventDetails = {},
  ): Promise<void> {
    if (!this.enabled || connections.length === 0) {
      return;
    }
    const createdAt = new Date();
    await tx.webhookEvent.createMany({
      data: connections.map((connection) => {
        const id = randomUUID();
        const body: WebhookEventBody = {
          id,
          type,
          createdAt: createdAt.toISOString(),
          data: { connection: toConnectionDto(connection, createdAt.getTime()), ...details },
        };
        return { id, type, payload: body as unknown as Prisma.InputJsonValue, createdAt };
      }),
    });
  }
}
