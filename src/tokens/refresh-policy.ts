import { backoffDelayMs } from '../common/backoff.js';
import type { RefreshConfig } from '../config/app-config.js';
import {
  ConnectionStatus,
  type ScheduledToken,
  type StoredToken,
  TokenKind,
} from './connection.record.js';

/** A fresh short-lived token is upgraded in the request; the sweep steps in after this. */
const SHORT_LIVED_GRACE_MS = 60 * 1000;
const RETRY_BASE_MS = 60 * 1000;
const RETRY_CAP_MS = 6 * 60 * 60 * 1000;
/** A token close to its end is retried at least this often, whatever the back-off says. */
const LAST_CHANCE_MARGIN_MS = 10 * 60 * 1000;

/** What the status rule reads of a connection. */
export interface StatusFacts {
  status: ConnectionStatus;
  expiresAt: Date | null;
}

/** What the refresh rules read of a connection. */
export interface RefreshFacts extends StatusFacts {
  tokenKind: TokenKind;
  tokenIssuedAt: Date | null;
  nextRefreshAt: Date | null;
  refreshAttempts: number;
}

/** The claim query's parameters: the due rule as times to compare columns with. */
export interface DueCutoffs {
  now: Date;
  /** A long-lived token expiring before this is in its refresh window... */
  expiringBefore: Date;
  /** ...once it was issued before this (Instagram refuses younger tokens). */
  issuedBefore: Date;
}

/** Its token has run out, whatever the status column says yet. */
export function hasLapsed(connection: Pick<StatusFacts, 'expiresAt'>, now: Date): boolean {
  return connection.expiresAt !== null && connection.expiresAt.getTime() <= now.getTime();
}

/**
 * The status callers see: an active connection whose token has run out is expired already,
 * before the sweep writes so. (ConnectionsRepository's status filter and counts are its SQL form.)
 */
export function effectiveStatus(connection: StatusFacts, now: Date): ConnectionStatus {
  return connection.status === ConnectionStatus.active && hasLapsed(connection, now)
    ? ConnectionStatus.expired
    : connection.status;
}

/**
 * When a token is due, when Instagram allows refreshing it, and how long to back off after a
 * failure. Pure: every answer depends only on its arguments and the settings.
 */
export class RefreshPolicy {
  private readonly aheadMs: number;
  private readonly minAgeMs: number;

  constructor(settings: Pick<RefreshConfig, 'aheadSeconds' | 'minAgeSeconds'>) {
    this.aheadMs = settings.aheadSeconds * 1000;
    this.minAgeMs = settings.minAgeSeconds * 1000;
  }

  /**
   * When the sweep should first refresh a token just stored: a short-lived one soon (its
   * upgrade failed), a long-lived one when its refresh window opens but never before
   * Instagram allows it.
   */
  firstRefreshAt(token: Pick<StoredToken, 'kind' | 'issuedAt' | 'expiresAt'>): Date {
    const issuedAt = token.issuedAt.getTime();
    if (token.kind === TokenKind.short_lived) {
      return new Date(issuedAt + SHORT_LIVED_GRACE_MS);
    }
    const windowOpens = token.expiresAt.getTime() - this.aheadMs;
    return new Date(Math.max(windowOpens, issuedAt + this.minAgeMs));
  }

  /** The token with its first refresh time, ready to store. */
  schedule(token: StoredToken): ScheduledToken {
    return { ...token, nextRefreshAt: this.firstRefreshAt(token) };
  }

  dueCutoffs(now: Date): DueCutoffs {
    return {
      now,
      expiringBefore: new Date(now.getTime() + this.aheadMs),
      issuedBefore: new Date(now.getTime() - this.minAgeMs),
    };
  }

  /**
   * Due: active with a live token, and either its next_refresh_at has come, or (no failure
   * pending a back-off) today's settings put a long-lived token in its window. The claim
   * query applies the same rule with dueCutoffs() as its parameters.
   */
  isDue(connection: RefreshFacts, now: Date): boolean {
    if (
      connection.status !== ConnectionStatus.active ||
      connection.expiresAt === null ||
      hasLapsed(connection, now)
    ) {
      return false;
    }
    if (connection.nextRefreshAt !== null && connection.nextRefreshAt <= now) {
      return true;
    }
    const { expiringBefore, issuedBefore } = this.dueCutoffs(now);
    return (
      connection.refreshAttempts === 0 &&
      connection.tokenKind === TokenKind.long_lived &&
      connection.expiresAt <= expiringBefore &&
      connection.tokenIssuedAt !== null &&
      connection.tokenIssuedAt <= issuedBefore
    );
  }

  /**
   * From when Instagram accepts a refresh: a long-lived token once it is old enough; a
   * short-lived one (an upgrade) at any time, answered as null.
   */
  refreshAllowedFrom(connection: Pick<RefreshFacts, 'tokenKind' | 'tokenIssuedAt'>): Date | null {
    if (connection.tokenKind !== TokenKind.long_lived) {
      return null;
    }
    return new Date((connection.tokenIssuedAt?.getTime() ?? 0) + this.minAgeMs);
  }

  /**
   * The next try after `attempts` failures in a row: growing, jittered back-off, never before
   * `notBefore` (a hold Instagram asked for), but always before the token ends (at least a
   * minute away).
   */
  retryAt(
    attempts: number,
    expiresAt: Date | null,
    now: Date,
    options: { notBefore?: Date; random?: () => number } = {},
  ): Date {
    const at = now.getTime();
    let next = Math.max(
      at + backoffDelayMs(attempts, RETRY_BASE_MS, RETRY_CAP_MS, options.random),
      options.notBefore?.getTime() ?? 0,
    );
    const lastChance = expiresAt === null ? undefined : expiresAt.getTime() - LAST_CHANCE_MARGIN_MS;
    if (lastChance !== undefined && next > lastChance) {
      next = Math.max(at + RETRY_BASE_MS, lastChance);
    }
    return new Date(next);
  }
}
