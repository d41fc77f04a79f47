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
import { DatabasePool } from '../database/database-pool.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ConnectionsRepository } from './connections.repository.js';
import { TokenRefresher } from './token-refresher.js';

/** The first sweep comes soon after boot: a token may be close to its end right now. */
const FIRST_SWEEP_DELAY_MS = 5000;
const FAILED_SWEEP_RETRY_MS = 5000;

export interface SweepReport {
  expired: number;
  refreshed: number;
  failed: number;
  durationMs: number;
}

/**
 * Every REFRESH_SWEEP_INTERVAL_MS: expires lapsed connections, then claims due tokens in
 * batches of REFRESH_CONCURRENCY (so at most that many calls to Instagram at once) and
 * refreshes them. Claims are leases in PostgreSQL, so any number of replicas may sweep.
 */
@Injectable()
export class RefreshSweeper
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(RefreshSweeper.name);
  private readonly settings: RefreshConfig;
  private readonly loop: BackgroundLoop<SweepReport>;

  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly refresher: TokenRefresher,
    private readonly metrics: MetricsService,
    database: DatabasePool,
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

  onApplicationBootstrap(): void {
    if (this.settings.sweepIntervalMs > 0) {
      this.loop.start(Math.min(FIRST_SWEEP_DELAY_MS, this.settings.sweepIntervalMs));
    }
  }

  /** First thing on shutdown, while requests still drain: claim no more batches. */
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

  private async sweep(): Promise<SweepReport> {
    const startedAt = Date.now();
    const report = { expired: await this.connections.expireLapsed(), refreshed: 0, failed: 0 };
    // A token is refreshed at most once a sweep, even if Instagram's answer left it due.
    const seen = new Set<string>();
    while (!this.loop.stopped) {
      const batch = await this.refresher.claimDue(this.settings.concurrency);
      const fresh = batch.filter((connection) => !seen.has(connection.igUserId));
      await Promise.all(
        batch
          .filter((connection) => seen.has(connection.igUserId))
          .map((connection) => this.refresher.release(connection.igUserId)),
      );
      if (fresh.length === 0) {
        break;
      }
      await Promise.all(
        fresh.map(async (connection) => {
          seen.add(connection.igUserId);
          try {
            await this.refresher.refreshClaimed(connection, 'scheduled');
            report.refreshed += 1;
          } catch {
            report.failed += 1;
          }
        }),
      );
    }
    const result = { ...report, durationMs: Date.now() - startedAt };
    this.metrics.recordSweep(result);
    if (result.expired + result.refreshed + result.failed > 0) {
      this.logger.log(result, 'refresh sweep done');
    }
    return result;
  }
}
