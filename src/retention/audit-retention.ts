import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { BackgroundLoop } from '../common/background-loop.js';
import type { AppConfig } from '../config/app-config.js';
import { DatabasePool } from '../database/database-pool.js';
import { MetaService } from '../meta/meta.service.js';
import { TokensService } from '../tokens/tokens.service.js';

const FIRST_RUN_DELAY_MS = 60 * 1000;
const RUN_EVERY_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionReport {
  reveals: number;
  deletionRequests: number;
  signedRequests: number;
}

/**
 * Hourly, on every replica: reveal audit rows and completed deletion requests older than
 * AUDIT_RETENTION_DAYS are deleted, and Meta requests past their expiry forgotten. Deletes
 * by age are safe to run on several replicas at once: each row goes once.
 */
@Injectable()
export class AuditRetention
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(AuditRetention.name);
  private readonly retentionDays: number;
  private readonly loop: BackgroundLoop<RetentionReport>;

  constructor(
    private readonly tokens: TokensService,
    private readonly meta: MetaService,
    database: DatabasePool,
    config: ConfigService<AppConfig, true>,
  ) {
    this.retentionDays = config.get('audit', { infer: true }).retentionDays;
    this.loop = new BackgroundLoop(
      () => this.prune(),
      () => RUN_EVERY_MS,
      (error) => database.reportBackgroundFailure(this.logger, error, 'audit pruning failed'),
    );
  }

  onApplicationBootstrap(): void {
    this.loop.start(FIRST_RUN_DELAY_MS);
  }

  beforeApplicationShutdown(): void {
    this.loop.halt();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass now; concurrent calls share the pass already running. */
  pruneOnce(): Promise<RetentionReport> {
    return this.loop.runOnce();
  }

  private async prune(): Promise<RetentionReport> {
    const now = new Date();
    const cutoff = new Date(now.getTime() - this.retentionDays * DAY_MS);
    const report = {
      reveals: await this.tokens.pruneRevealsBefore(cutoff),
      ...(await this.meta.pruneRecords(cutoff, now)),
    };
    if (report.reveals + report.deletionRequests > 0) {
      this.logger.log({ ...report, retentionDays: this.retentionDays }, 'audit records pruned');
    }
    return report;
  }
}
