import { Injectable } from '@nestjs/common';
import { DatabasePool } from '../database/database-pool.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Transaction } from '../database/transactions.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { WebhookEventBody } from './webhook-event.js';

export interface ClaimedWebhookEvent {
  id: string;
  attempts: number;
  body: WebhookEventBody;
}

@Injectable()
export class WebhookEventsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly database: DatabasePool,
  ) {}

  async insert(bodies: WebhookEventBody[], createdAt: Date, tx: Transaction): Promise<void> {
    await tx.webhookEvent.createMany({
      data: bodies.map((body) => ({
        id: body.id,
        type: body.type,
        payload: body as unknown as Prisma.InputJsonValue,
        createdAt,
      })),
    });
  }

  /** Events whose connection is one of these, whatever their delivery state. */
  async deleteNaming(igUserIds: string[], tx: Transaction): Promise<void> {
    await tx.$executeRaw`
      DELETE FROM webhook_events
      WHERE payload -> 'data' -> 'connection' ->> 'igUserId' = ANY(${igUserIds})`;
  }

  /** Takes due events for this replica; others skip them until the lease runs out. */
  async claimDue(owner: string, leaseMs: number, limit: number): Promise<ClaimedWebhookEvent[]> {
    const rows = await this.prisma.$queryRaw<{ id: string; attempts: number; payload: unknown }[]>`
      UPDATE webhook_events
      SET lease_owner = ${owner}, lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000})
      WHERE id IN (
        SELECT id FROM webhook_events
        WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
          AND (lease_expires_at IS NULL OR lease_expires_at <= now())
        ORDER BY created_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING id::text AS id, attempts, payload`;
    return rows.map((row) => ({
      id: row.id,
      attempts: row.attempts,
      body: row.payload as WebhookEventBody,
    }));
  }

  async releaseLeases(owner: string): Promise<void> {
    // Plain SQL on the pool: a restart runs this before it is ready (see RefreshLeasesRepository).
    await this.database.pool.query(
      `UPDATE webhook_events SET lease_owner = NULL, lease_expires_at = NULL
       WHERE lease_owner = $1 AND delivered_at IS NULL`,
      [owner],
    );
  }

  /** Drops delivered events after a week and given-up ones after a month. */
  async prune(now = new Date()): Promise<number> {
    const day = 24 * 60 * 60 * 1000;
    const { count } = await this.prisma.webhookEvent.deleteMany({
      where: {
        OR: [
          { deliveredAt: { lt: new Date(now.getTime() - 7 * day) } },
          { failedAt: { lt: new Date(now.getTime() - 30 * day) } },
        ],
      },
    });
    return count;
  }

  async markDelivered(id: string, owner: string): Promise<void> {
    await this.prisma.webhookEvent.updateMany({
      where: { id, leaseOwner: owner },
      data: { deliveredAt: new Date(), leaseOwner: null, leaseExpiresAt: null, lastError: null },
    });
  }

  /** Records a failed attempt; with no next attempt the event is given up on. */
  async markAttemptFailed(
    id: string,
    owner: string,
    error: string,
    nextAttemptAt: Date | null,
  ): Promise<void> {
    await this.prisma.webhookEvent.updateMany({
      where: { id, leaseOwner: owner },
      data: {
        attempts: { increment: 1 },
        lastError: error.slice(0, 500),
        leaseOwner: null,
        leaseExpiresAt: null,
        ...(nextAttemptAt === null ? { failedAt: new Date() } : { nextAttemptAt }),
      },
    });
  }
}
