import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import { Batcher } from '../common/batcher.js';
import type { AppConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import { InstagramError, InstagramFailure } from '../instagram/instagram.errors.js';
import {
  type ConnectionRecord,
  type ConnectionWithToken,
  type ScheduledToken,
  TokenKind,
} from './connection.record.js';
import { DatabasePool } from '../database/database-pool.js';
import { ConnectionsRepository, type TokenSwap } from './connections.repository.js';
import { type LeaseTerms, RefreshLeasesRepository } from './refresh-leases.repository.js';
import { RefreshPolicy } from './refresh-policy.js';
import { describeFailure, StoredTokenCalls } from './stored-token-calls.js';
import { TokenSealer } from './token-sealer.js';

export type RefreshMode = 'scheduled' | 'on_demand';

/**
 * A batch of new tokens goes when this many wait, or after this long. Each batch is one
 * transaction, so one commit to flush: at 5 ms a sweep committed a few rows at a time, some
 * 200 times a second. An on-demand refresh, which waits for its write, waits this much more.
 */
const SWAP_BATCH_SIZE = 32;
const SWAP_BATCH_WAIT_MS = 25;

/**
 * Refreshes tokens under a lease, so one replica at a time calls Instagram for a token: claims
 * them (a sweep's batch, or one on demand), upgrades a short-lived token or renews a long-lived
 * one, then stores the new token or records why it could not. The only holder of leases.
 */
@Injectable()
export class TokenRefresher {
  private readonly logger = new Logger(TokenRefresher.name);
  /** This replica's name in leases (REPLICA_ID): the same after a restart. */
  readonly owner: string;
  private readonly lease: LeaseTerms;
  /** New tokens are written a batch at a time: one statement for many rows. */
  private readonly swaps: Batcher<TokenSwap, ConnectionRecord | null>;

  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly leases: RefreshLeasesRepository,
    private readonly policy: RefreshPolicy,
    private readonly instagram: InstagramClient,
    private readonly sealer: TokenSealer,
    private readonly calls: StoredTokenCalls,
    private readonly database: DatabasePool,
    config: ConfigService<AppConfig, true>,
  ) {
    const settings = config.get('refresh', { infer: true });
    this.owner = settings.replicaId;
    this.lease = { owner: this.owner, leaseMs: settings.leaseMs };
    this.swaps = new Batcher(
      async (swaps) => {
        const swapped = await this.database.runBackground(() =>
          this.connections.replaceTokens(swaps),
        );
        return swaps.map((swap) => swapped.get(swap.igUserId) ?? null);
      },
      SWAP_BATCH_SIZE,
      SWAP_BATCH_WAIT_MS,
    );
  }

  /** Claims up to `limit` tokens due now for this replica. */
  claimDue(limit: number): Promise<ConnectionWithToken[]> {
    return this.database.runBackground(() =>
      this.leases.claimDue(this.lease, this.policy.dueCutoffs(new Date()), limit),
    );
  }

  /** Hands back a claimed token without refreshing it. */
  release(igUserId: string): Promise<void> {
    return this.database.runBackground(() => this.leases.release(igUserId, this.owner));
  }

  /** Hands back every token this replica holds (shutdown), so another takes over at once. */
  releaseAll(): Promise<number> {
    return this.leases.releaseAll(this.owner);
  }

  /** Refreshes one connection now, unless another refresh holds it or Instagram would refuse. */
  async refreshNow(igUserId: string): Promise<ConnectionRecord> {
    const claimed = await this.leases.claimOne(igUserId, this.lease);
    if (claimed === null) {
      throw new AppError(
        ErrorCode.RefreshInProgress,
        `The token of ${igUserId} is being refreshed right now; read the connection in a moment.`,
        { retryAfterSeconds: 5 },
      );
    }
    const allowedFrom = this.policy.refreshAllowedFrom(claimed);
    if (allowedFrom !== null && allowedFrom.getTime() > Date.now()) {
      await this.release(igUserId);
      throw new AppError(
        ErrorCode.RefreshNotAllowed,
        `Instagram refreshes long-lived tokens once they are 24 hours old; this one can be refreshed from ${allowedFrom.toISOString()}.`,
        { retryAfterSeconds: (allowedFrom.getTime() - Date.now()) / 1000 },
      );
    }
    return this.refreshClaimed(claimed, 'on_demand');
  }

  /** Refreshes a connection this replica holds the lease on; answers it once stored. */
  async refreshClaimed(
    connection: ConnectionWithToken,
    mode: RefreshMode,
  ): Promise<ConnectionRecord> {
    return (await this.renewClaimed(connection, mode)).stored;
  }

  /**
   * Calls Instagram for a connection this replica holds the lease on. Resolves once the call is
   * done, with the write of the new token still under way (`stored`): a sweep's worker moves on
   * to its next token while the writes go out in batches. A failed call is recorded before the
   * error goes up.
   */
  async renewClaimed(
    connection: ConnectionWithToken,
    mode: RefreshMode,
  ): Promise<{ stored: Promise<ConnectionRecord> }> {
    const { igUserId } = connection;
    let token: ScheduledToken;
    // A sweep's calls give way to requests (see CallOptions.background).
    const call = { account: igUserId, background: mode === 'scheduled' };
    try {
      const current = this.sealer.openStored(connection);
      const renewed = await this.calls.run(connection, () =>
        connection.tokenKind === TokenKind.short_lived
          ? this.instagram.exchangeForLongLived(current, call)
          : this.instagram.refreshLongLived(current, call),
      );
      token = this.policy.schedule(
        this.sealer.seal(
          igUserId,
          renewed.accessToken,
          TokenKind.long_lived,
          renewed.expiresInSeconds,
        ),
      );
    } catch (error) {
      // A rejected token already took the connection out of use; anything else is retried.
      if (!(error instanceof AppError && error.code === ErrorCode.InstagramTokenInvalid)) {
        await this.recordFailure(connection, mode, error);
      }
      throw error;
    }
    return { stored: this.store(connection, token, mode) };
  }

  private async store(
    connection: ConnectionWithToken,
    token: ScheduledToken,
    mode: RefreshMode,
  ): Promise<ConnectionRecord> {
    const { igUserId } = connection;
    const replaced = await this.swaps.add({
      igUserId,
      expectedIssuedAt: connection.tokenIssuedAt,
      leaseOwner: this.owner,
      token,
      refreshed: true,
    });
    if (replaced === null) {
      // Deleted, revoked or replaced meanwhile: what is stored now is newer than our result.
      await this.release(igUserId);
      this.logger.warn(
        { igUserId, mode },
        'refresh result discarded: the connection changed meanwhile',
      );
      return (await this.connections.find(igUserId)) ?? connection;
    }
    this.logger.log(
      { igUserId, mode, from: connection.tokenKind, expiresAt: replaced.expiresAt },
      'token refreshed',
    );
    return replaced;
  }

  private async recordFailure(
    connection: ConnectionWithToken,
    mode: RefreshMode,
    error: unknown,
  ): Promise<void> {
    const reason = describeFailure(error);
    const attempts = connection.refreshAttempts + 1;
    // An on-demand failure leaves the schedule alone: the caller may simply try again. Never
    // before Instagram's hold ends: retrying inside it is what gets the app throttled.
    const now = new Date();
    const nextRefreshAt =
      mode === 'scheduled'
        ? this.policy.retryAt(attempts, connection.expiresAt, now, {
            notBefore: new Date(now.getTime() + holdSeconds(error) * 1000),
          })
        : null;
    await this.database.runBackground(() =>
      this.leases.releaseAfterFailure({
        igUserId: connection.igUserId,
        owner: this.owner,
        error: reason,
        nextRefreshAt,
      }),
    );
    this.logger.warn(
      { igUserId: connection.igUserId, mode, attempts, reason, nextRefreshAt },
      'token refresh failed',
    );
  }
}

/** How long Instagram asked us to wait, when the failure was a rate limit. */
function holdSeconds(error: unknown): number {
  return error instanceof InstagramError && error.failure === InstagramFailure.RateLimited
    ? (error.details.retryAfterSeconds ?? 0)
    : 0;
}
