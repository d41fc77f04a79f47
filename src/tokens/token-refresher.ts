import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import { backoffDelayMs } from '../common/backoff.js';
import { newReplicaId } from '../common/replica-id.js';
import type { AppConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import { InstagramError, InstagramFailure } from '../instagram/instagram.errors.js';
import { type ConnectionRecord, type ConnectionWithToken, TokenKind } from './connection.record.js';
import { describeFailure, StoredTokenCalls } from './stored-token-calls.js';
import { TokenSealer } from './token-sealer.js';
import { TokensRepository } from './tokens.repository.js';

const RETRY_BASE_MS = 60 * 1000;
const RETRY_CAP_MS = 6 * 60 * 60 * 1000;
/** A token close to its end is retried at least this often, whatever the back-off says. */
const LAST_CHANCE_MARGIN_MS = 10 * 60 * 1000;

export type RefreshMode = 'scheduled' | 'on_demand';

/**
 * Refreshes one connection this replica holds the lease on: upgrades a short-lived token or
 * renews a long-lived one, then stores the new token, or records why it could not.
 */
@Injectable()
export class TokenRefresher {
  private readonly logger = new Logger(TokenRefresher.name);
  /** This app instance's name in leases. */
  readonly owner = newReplicaId();
  readonly leaseMs: number;

  constructor(
    private readonly repository: TokensRepository,
    private readonly instagram: InstagramClient,
    private readonly sealer: TokenSealer,
    private readonly calls: StoredTokenCalls,
    config: ConfigService<AppConfig, true>,
  ) {
    this.leaseMs = config.get('refresh', { infer: true }).leaseMs;
  }

  async refreshClaimed(
    connection: ConnectionWithToken,
    mode: RefreshMode,
  ): Promise<ConnectionRecord> {
    const { igUserId } = connection;
    try {
      const current = this.sealer.openStored(connection);
      const renewed = await this.calls.run(connection, () =>
        connection.tokenKind === TokenKind.short_lived
          ? this.instagram.exchangeForLongLived(current, { account: igUserId })
          : this.instagram.refreshLongLived(current, { account: igUserId }),
      );
      const replaced = await this.repository.replaceToken({
        igUserId,
        expectedIssuedAt: connection.tokenIssuedAt,
        leaseOwner: this.owner,
        token: this.sealer.seal(
          igUserId,
          renewed.accessToken,
          TokenKind.long_lived,
          renewed.expiresInSeconds,
        ),
        refreshed: true,
      });
      if (replaced === null) {
        // Deleted, revoked or replaced meanwhile: what is stored now is newer than our result.
        await this.repository.releaseLease(igUserId, this.owner);
        this.logger.warn(
          { igUserId, mode },
          'refresh result discarded: the connection changed meanwhile',
        );
        return (await this.repository.find(igUserId)) ?? connection;
      }
      this.logger.log(
        { igUserId, mode, from: connection.tokenKind, expiresAt: replaced.expiresAt },
        'token refreshed',
      );
      return replaced;
    } catch (error) {
      // A rejected token already took the connection out of use; anything else is retried.
      if (!(error instanceof AppError && error.code === ErrorCode.InstagramTokenInvalid)) {
        await this.recordFailure(connection, mode, error);
      }
      throw error;
    }
  }

  private async recordFailure(
    connection: ConnectionWithToken,
    mode: RefreshMode,
    error: unknown,
  ): Promise<void> {
    const reason = describeFailure(error);
    const attempts = connection.refreshAttempts + 1;
    const nextRefreshAt =
      mode === 'scheduled' ? this.nextAttempt(connection, attempts, holdSeconds(error)) : null;
    await this.repository.recordRefreshFailure({
      igUserId: connection.igUserId,
      leaseOwner: this.owner,
      error: reason,
      nextRefreshAt,
    });
    this.logger.warn(
      { igUserId: connection.igUserId, mode, attempts, reason, nextRefreshAt },
      'token refresh failed',
    );
  }

  private nextAttempt(connection: ConnectionRecord, attempts: number, holdSeconds: number): Date {
    const now = Date.now();
    // Never before Instagram's hold ends: retrying inside it is what gets the app throttled.
    let next = Math.max(
      now + backoffDelayMs(attempts, RETRY_BASE_MS, RETRY_CAP_MS),
      now + holdSeconds * 1000,
    );
    const expiresAt = connection.expiresAt?.getTime();
    if (expiresAt !== undefined && next > expiresAt - LAST_CHANCE_MARGIN_MS) {
      next = Math.max(now + RETRY_BASE_MS, expiresAt - LAST_CHANCE_MARGIN_MS);
    }
    return new Date(next);
  }
}

/** How long Instagram asked us to wait, when the failure was a rate limit. */
function holdSeconds(error: unknown): number {
  return error instanceof InstagramError && error.failure === InstagramFailure.RateLimited
    ? (error.details.retryAfterSeconds ?? 0)
    : 0;
}
