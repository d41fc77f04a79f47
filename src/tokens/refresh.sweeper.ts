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
import type { AppConfig, RefreshConfig } from '../config/app-config.js';
import { DatabaseUnavailableError } from '../database/database-errors.js';
import { DatabasePool } from '../database/database-pool.js';
import { ReplicaLock } from '../database/replica-lock.js';
import { InstagramThrottle } from '../instagram/instagram-throttle.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { ConnectionWithToken } from './connection.record.js';
import { ConnectionsRepository } from './connections.repository.js';
import { TokenRefresher } from './token-refresher.js';

/** The first sweep comes soon after boot: a token may be close to its end right now. */
const FIRST_SWEEP_DELAY_MS = 5000;
const FAILED_SWEEP_RETRY_MS = 5000;
/**
 * Claims stay small, so a replica that dies strands few rows (they wait out their lease, or
 * come back at once when the replica restarts under the same REPLICA_ID).
 */
const MAX_CLAIM = 16;
/** While Instagram reports a budget 90% spent, one worker goes on, this long between calls. */
const HIGH_USAGE_PAUSE_MS = 1000;

export interface SweepReport {
  expired: number;
  refreshed: number;
  failed: number;
  durationMs: number;
}

/**
 * Every REFRESH_SWEEP_INTERVAL_MS: expires lapsed connections, then refreshes every due token
 * with a pool of REFRESH_CONCURRENCY workers fed by small claims (leases in PostgreSQL, so any
 * number of replicas may sweep). A slow call holds only its own worker. The sweep stops while
 * Instagram holds the whole app, and slows to one call a second while Instagram reports a
 * budget nearly spent.
 */
@Injectable()
export class RefreshSweeper
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RefreshSweeper.name);
  private readonly settings: RefreshConfig;
  private readonly loop: BackgroundLoop<SweepReport>;
  private tookBack = false;

  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly refresher: TokenRefresher,
    private readonly throttle: InstagramThrottle,
    private readonly metrics: MetricsService,
    private readonly database: DatabasePool,
    private readonly replica: ReplicaLock,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('refresh', { infer: true });
    this.loop = new BackgroundLoop(
      () => this.sweep(),
      // A failed sweep (say, the database is down) is retried sooner, backing off to the interval.
      (_report, failures) =>
        failures > 0
          ? backoffDelayMs(failures, FAILED_SWEEP_RETRY_MS, this.settings.sweepIntervalMs)
          : this.settings.sweepIntervalMs,
      (error) => database.reportBackgroundFailure(this.logger, error, 'refresh sweep failed'),
    );
  }

  /**
   * Leases this replica held before a restart are its own to take back: a crash-restart
   * finishes that work at once instead of after the lease.
   */
  async onApplicationBootstrap(): Promise<void> {
    // Refuses to start (ReplicaIdInUseError) when another live replica goes by this REPLICA_ID.
    const takenBack = await this.claimReplica();
    if (this.settings.sweepIntervalMs > 0) {
      this.loop.start(
        takenBack > 0 ? 0 : Math.min(FIRST_SWEEP_DELAY_MS, this.settings.sweepIntervalMs),
      );
    }
  }

  /** First thing on shutdown, while requests still drain: claim no more tokens. */
  beforeApplicationShutdown(): void {
    this.loop.halt();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
    await this.refresher.releaseAll().catch(() => undefined);
  }

  /** One sweep; concurrent calls share the sweep already running. */
  sweepOnce(): Promise<SweepReport> {
    return this.loop.runOnce();
  }

  /**
   * Holds this replica's REPLICA_ID; the first time, takes back the leases a previous life of
   * this replica left. Answers how many it took back (0 also while the database is away).
   */
  private async claimReplica(): Promise<number> {
    if (!(await this.replica.acquire()) || this.tookBack) {
      return 0;
    }
    this.tookBack = true;
    const takenBack = await this.refresher.releaseAll().catch(() => 0);
    if (takenBack > 0) {
      this.logger.log({ takenBack }, 'took back the refresh leases of this replica');
    }
    return takenBack;
  }

  private async sweep(): Promise<SweepReport> {
    const startedAt = Date.now();
    await this.claimReplica();
    if (!this.replica.held) {
      // The database is away (the claim will fail too); leases are named after a held id only.
      throw new DatabaseUnavailableError('the replica lock cannot be taken');
    }
    const expired = await this.database.runBackground(() => this.connections.expireLapsed());
    const report = { expired, refreshed: 0, failed: 0 };
    const claimSize = Math.min(MAX_CLAIM, this.settings.concurrency);
    const feed = new ClaimFeed(
      (limit) => this.refresher.claimDue(limit),
      (igUserId) => this.refresher.release(igUserId),
      // Slowed down, one token at a time: a claimed token must not wait out its lease in line.
      () => (this.throttle.usageHigh ? 1 : claimSize),
    );
    const writes = new Set<Promise<void>>();
    /** The first failure (say, a claim the database refused) stops every worker. */
    let failure: { error: unknown } | undefined;
    const worker = async (index: number): Promise<void> => {
      while (!this.loop.stopped && failure === undefined && !(await this.appHeld())) {
        if (this.throttle.usageHigh) {
          await feed.releaseQueued();
          if (index > 0) {
            if (feed.finished) {
              return;
            }
            await sleep(HIGH_USAGE_PAUSE_MS);
            continue;
          }
        }
        const connection = await feed.next();
        if (connection === undefined) {
          return;
        }
        try {
          const { stored } = await this.refresher.renewClaimed(connection, 'scheduled');
          // The worker takes its next token while this one's write goes out with a batch.
          const write = stored.then(
            () => void (report.refreshed += 1),
            (error: unknown) => {
              report.failed += 1;
              if (!this.database.reportFailure(error)) {
                this.logger.error(
                  { err: error, igUserId: connection.igUserId },
                  'refresh not stored',
                );
              }
            },
          );
          writes.add(write);
          void write.finally(() => writes.delete(write));
        } catch {
          report.failed += 1;
        }
        if (this.throttle.usageHigh) {
          await sleep(HIGH_USAGE_PAUSE_MS);
        }
      }
    };
    await Promise.all(
      Array.from({ length: this.settings.concurrency }, (_, i) =>
        worker(i).catch((error: unknown) => {
          failure ??= { error };
        }),
      ),
    );
    await Promise.all(writes);
    // Claimed but not started (the sweep was stopped or failed, or Instagram held the app).
    await feed.releaseUnused();
    if (failure !== undefined) {
      throw failure.error;
    }
    const result = { ...report, durationMs: Date.now() - startedAt };
    this.metrics.recordSweep(result);
    if (result.expired + result.refreshed + result.failed > 0) {
      this.logger.log(result, 'refresh sweep done');
    }
    return result;
  }

  private async appHeld(): Promise<boolean> {
    return (await this.throttle.remainingSeconds(['app'])) > 0;
  }
}

/**
 * Feeds claimed tokens to the workers: claims the next few when the queue runs low, so a worker
 * rarely waits on a claim, and stops when a claim finds nothing new. A token is handed out at
 * most once a sweep, even if Instagram's answer left it due.
 */
class ClaimFeed {
  private readonly queue: ConnectionWithToken[] = [];
  private readonly seen = new Set<string>();
  private claiming: Promise<void> | undefined;
  private exhausted = false;

  constructor(
    private readonly claim: (limit: number) => Promise<ConnectionWithToken[]>,
    private readonly release: (igUserId: string) => Promise<void>,
    private readonly claimSize: () => number,
  ) {}

  async next(): Promise<ConnectionWithToken | undefined> {
    while (this.queue.length === 0 && !this.exhausted) {
      await this.claimMore();
    }
    // Claims the next few ahead while this one goes out; one at a time, nothing is claimed ahead.
    const size = this.claimSize();
    if (size > 1 && this.queue.length < size && !this.exhausted) {
      void this.claimMore().catch(() => undefined);
    }
    return this.queue.shift();
  }

  /** Nothing left to hand out, nor to claim. */
  get finished(): boolean {
    return this.exhausted && this.queue.length === 0;
  }

  async releaseUnused(): Promise<void> {
    this.exhausted = true;
    await this.releaseQueued();
  }

  /** Hands back what waits in line (it will be claimed again, one at a time). */
  async releaseQueued(): Promise<void> {
    if (this.queue.length === 0 && this.claiming === undefined) {
      return;
    }
    await this.claiming?.catch(() => undefined);
    const queued = this.queue.splice(0);
    await Promise.all(queued.map((connection) => this.release(connection.igUserId)));
    for (const connection of queued) {
      this.seen.delete(connection.igUserId);
    }
  }

  private claimMore(): Promise<void> {
    this.claiming ??= this.claim(this.claimSize())
      .then(async (claimed) => {
        const fresh = claimed.filter((connection) => !this.seen.has(connection.igUserId));
        await Promise.all(
          claimed
            .filter((connection) => this.seen.has(connection.igUserId))
            .map((connection) => this.release(connection.igUserId)),
        );
        for (const connection of fresh) {
          this.seen.add(connection.igUserId);
          this.queue.push(connection);
        }
        if (fresh.length === 0) {
          this.exhausted = true;
        }
      })
      .finally(() => {
        this.claiming = undefined;
      });
    return this.claiming;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
