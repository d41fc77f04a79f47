import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { BackgroundLoop } from '../common/background-loop.js';
import { backoffDelayMs } from '../common/backoff.js';
import { Deadline } from '../common/deadline.js';
import type { AppConfig, WebhookConfig } from '../config/app-config.js';
import { DatabaseUnavailableError } from '../database/database-errors.js';
import { DatabasePool } from '../database/database-pool.js';
import { ReplicaLock } from '../database/replica-lock.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { SIGNATURE_HEADER, signWebhookBody } from './webhook-signature.js';
import { type ClaimedWebhookEvent, WebhookEventsRepository } from './webhook-events.repository.js';

const POLL_INTERVAL_MS = 1000;
const BATCH_SIZE = 16;
const DELIVERY_TIMEOUT_MS = 10000;
const LEASE_MS = DELIVERY_TIMEOUT_MS + 20000;
/** With the back-off below, about a day of retries before an event is given up. */
const MAX_ATTEMPTS = 40;
/** While dispatching fails (say, the database is down), retries slow down to this. */
const FAILURE_BACKOFF_CAP_MS = 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const RETRY_BASE_MS = 5000;
const RETRY_CAP_MS = 60 * 60 * 1000;

/**
 * Delivers the outbox at least once: claims due events (any replica may), POSTs each signed,
 * and retries failures with growing, jittered back-off. Never on a request's or sweep's path.
 */
@Injectable()
export class WebhookDispatcher
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(WebhookDispatcher.name);
  /** REPLICA_ID: the same after a restart, so this replica takes its own leases back. */
  private readonly owner: string;
  private readonly webhook: WebhookConfig | undefined;
  private readonly loop: BackgroundLoop<number>;
  private nextPruneAt = 0;
  private tookBack = false;

  constructor(
    private readonly events: WebhookEventsRepository,
    private readonly metrics: MetricsService,
    private readonly database: DatabasePool,
    private readonly replica: ReplicaLock,
    config: ConfigService<AppConfig, true>,
  ) {
    this.webhook = config.get('webhook', { infer: true });
    this.owner = config.get('refresh', { infer: true }).replicaId;
    this.loop = new BackgroundLoop(
      () => this.deliverBatch(),
      // A full batch means more are waiting: go again at once. Failing runs back off.
      (tried, failures) =>
        failures > 0
          ? backoffDelayMs(failures, POLL_INTERVAL_MS, FAILURE_BACKOFF_CAP_MS)
          : tried === BATCH_SIZE
            ? 0
            : POLL_INTERVAL_MS,
      (error) =>
        this.database.reportBackgroundFailure(this.logger, error, 'webhook dispatch failed'),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.webhook !== undefined) {
      await this.claimReplica();
      this.loop.start(POLL_INTERVAL_MS);
    }
  }

  /**
   * Holds this replica's REPLICA_ID (refusing to start when another live replica has it); the
   * first time, events this replica claimed before a restart go out now, not after their lease.
   */
  private async claimReplica(): Promise<boolean> {
    if (!(await this.replica.acquire())) {
      return false;
    }
    if (!this.tookBack) {
      this.tookBack = true;
      await this.events.releaseLeases(this.owner).catch(() => undefined);
    }
    return true;
  }

  beforeApplicationShutdown(): void {
    this.loop.halt();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    // Claimed but not sent (cut short by the halt): free for another replica at once.
    await this.events.releaseLeases(this.owner).catch(() => undefined);
  }

  /** One pass: delivers what is due now; answers how many events it tried. */
  dispatchDue(): Promise<number> {
    return this.loop.runOnce();
  }

  private async deliverBatch(): Promise<number> {
    if (this.webhook === undefined) {
      return 0;
    }
    if (!(await this.claimReplica())) {
      // The database is away; leases are named after a held id only.
      throw new DatabaseUnavailableError('the replica lock cannot be taken');
    }
    if (Date.now() >= this.nextPruneAt) {
      this.nextPruneAt = Date.now() + PRUNE_EVERY_MS;
      const pruned = await this.database.runBackground(() => this.events.prune());
      if (pruned > 0) {
        this.logger.log({ pruned }, 'old webhook events pruned');
      }
    }
    const webhook = this.webhook;
    const claimed = await this.database.runBackground(() =>
      this.events.claimDue(this.owner, LEASE_MS, BATCH_SIZE),
    );
    // One connection's events go out one after another, in the order they happened;
    // different connections' events go out side by side.
    const byConnection = new Map<string, ClaimedWebhookEvent[]>();
    for (const event of claimed) {
      const key = event.body.data.connection.igUserId;
      const queue = byConnection.get(key);
      if (queue === undefined) {
        byConnection.set(key, [event]);
      } else {
        queue.push(event);
      }
    }
    await Promise.all(
      [...byConnection.values()].map(async (events) => {
        for (const event of events) {
          if (this.loop.stopped) {
            return;
          }
          await this.deliver(webhook, event);
        }
      }),
    );
    return claimed.length;
  }

  private async deliver(webhook: WebhookConfig, event: ClaimedWebhookEvent): Promise<void> {
    const body = JSON.stringify(event.body);
    let failure: string | undefined;
    const deadline = new Deadline(DELIVERY_TIMEOUT_MS);
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'instagram-token-vault',
          'x-vault-event-id': event.id,
          'x-vault-event-type': event.body.type,
          [SIGNATURE_HEADER]: signWebhookBody(body, webhook.secret),
        },
        body,
        redirect: 'manual',
        signal: deadline.signal,
      });
      await response.body?.cancel();
      if (response.status < 200 || response.status >= 300) {
        failure = `HTTP ${response.status}`;
      }
    } catch (error) {
      failure = error instanceof Error ? `${error.name}: ${error.message}` : 'delivery failed';
    } finally {
      deadline.clear();
    }
    if (failure === undefined) {
      await this.database.runBackground(() => this.events.markDelivered(event.id, this.owner));
      this.metrics.recordWebhookDelivery('delivered');
      this.logger.debug({ eventId: event.id, type: event.body.type }, 'webhook delivered');
      return;
    }
    const attempt = event.attempts + 1;
    const next =
      attempt >= MAX_ATTEMPTS
        ? null
        : new Date(Date.now() + backoffDelayMs(attempt, RETRY_BASE_MS, RETRY_CAP_MS));
    await this.database.runBackground(() =>
      this.events.markAttemptFailed(event.id, this.owner, failure, next),
    );
    this.metrics.recordWebhookDelivery(next === null ? 'given_up' : 'failed');
    this.logger.warn(
      { eventId: event.id, type: event.body.type, attempt, failure, nextAttemptAt: next },
      next === null
        ? 'webhook given up after the last attempt'
        : 'webhook delivery failed; will retry',
    );
  }
}
