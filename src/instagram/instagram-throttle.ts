import { Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { RateLimitHoldsRepository } from './rate-limit-holds.repository.js';
import {
  DEFAULT_HOLD_SECONDS,
  highestUsage,
  HIGH_USAGE_PERCENT,
  type UsageReport,
} from './throttle-signals.js';

/** How stale this replica's view of the shared holds may be before a call reads them again. */
const SHARED_VIEW_MS = 1000;
/** A high usage figure counts for this long after Instagram last reported one. */
const HIGH_USAGE_MEMORY_MS = 5 * 60 * 1000;

/** `app`, or `account:<igUserId>` (the connection key). */
export type HoldScope = 'app' | `account:${string}`;

export function accountScope(igUserId: string): HoldScope {
  return `account:${igUserId}`;
}

/**
 * Instagram's "slow down", obeyed by every replica: a hold per scope until the time Instagram
 * gave, kept in PostgreSQL and read back at most a second late (while the database is down,
 * this replica's own holds still stand); and the last usage Instagram reported, so that work
 * that can wait (the sweep) slows down before Instagram has to say stop.
 */
@Injectable()
export class InstagramThrottle {
  private readonly logger = new Logger(InstagramThrottle.name);
  private highUsageUntil = 0;
  /** Scope to the end of its hold, in epoch milliseconds. */
  private holds = new Map<string, number>();
  private readAt = 0;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly repository: RateLimitHoldsRepository,
    private readonly metrics: MetricsService,
  ) {
    metrics.observeRateLimitHolds(() => this.summary());
  }

  /** Notes the usage headers of an answer. */
  noteUsage(report: UsageReport): void {
    if (report.app !== undefined) {
      this.metrics.recordInstagramUsage('app', report.app);
    }
    if (report.account !== undefined) {
      this.metrics.recordInstagramUsage('business_use_case', report.account);
    }
    // The sweep serves every account: only the app's own budget speeds it up or slows it down.
    const appHighest = highestUsage({ app: report.app });
    if (appHighest !== undefined) {
      this.highUsageUntil =
        appHighest >= HIGH_USAGE_PERCENT ? Date.now() + HIGH_USAGE_MEMORY_MS : 0;
    }
  }

  /**
   * An answer that went through but says the account is spent (a regain time, or a figure at
   * 100%): how long to hold that account, or 0.
   */
  accountHoldSeconds(report: UsageReport): number {
    if ((report.accountRegainSeconds ?? 0) > 0) {
      return report.accountRegainSeconds as number;
    }
    const accountHighest = highestUsage({ account: report.account });
    return accountHighest !== undefined && accountHighest >= 100 ? DEFAULT_HOLD_SECONDS : 0;
  }

  /** Instagram lately reported a budget 90% spent or more: background work should slow down. */
  get usageHigh(): boolean {
    return Date.now() < this.highUsageUntil;
  }

  /**
   * Seconds until every hold over these scopes has ended; 0 when none stands. The shared holds
   * are read again first when this replica's view of them is over a second old.
   */
  async remainingSeconds(scopes: readonly HoldScope[]): Promise<number> {
    if (Date.now() - this.readAt >= SHARED_VIEW_MS) {
      await this.readShared();
    }
    const now = Date.now();
    let until = 0;
    for (const scope of scopes) {
      until = Math.max(until, this.holds.get(scope) ?? 0);
    }
    return until > now ? Math.ceil((until - now) / 1000) : 0;
  }

  async place(scope: HoldScope, seconds: number, reason: string): Promise<void> {
    const until = Date.now() + seconds * 1000;
    if ((this.holds.get(scope) ?? 0) < until) {
      this.holds.set(scope, until);
    }
    this.logger.warn({ scope, seconds, reason }, 'Instagram asked us to wait; holding calls');
    await this.repository
      .extend(scope, new Date(until), reason)
      .catch((error: unknown) =>
        this.logger.debug({ reason: String(error) }, 'hold kept on this replica only'),
      );
  }

  /** For the metrics: the app hold's remaining seconds and how many accounts are held. */
  private summary(): { appSeconds: number; accounts: number } {
    const now = Date.now();
    let accounts = 0;
    for (const [scope, until] of this.holds) {
      if (scope !== 'app' && until > now) {
        accounts += 1;
      }
    }
    const app = this.holds.get('app') ?? 0;
    return { appSeconds: app > now ? (app - now) / 1000 : 0, accounts };
  }

  private async readShared(): Promise<void> {
    this.reading ??= this.repository
      .active()
      .then(
        (shared) => {
          const now = Date.now();
          const merged = new Map<string, number>();
          for (const [scope, until] of this.holds) {
            if (until > now) {
              merged.set(scope, until);
            }
          }
          for (const { scope, untilMs } of shared) {
            merged.set(scope, Math.max(untilMs, merged.get(scope) ?? 0));
          }
          this.holds = merged;
        },
        // The database is down: go on with what this replica knows.
        () => undefined,
      )
      .finally(() => {
        this.readAt = Date.now();
        this.reading = undefined;
      });
    await this.reading;
  }
}
