import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import type { Transaction } from '../database/transactions.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import type { ShortLivedToken, UserNode } from '../instagram/instagram.wire.js';
import { ConnectionEvents } from './connection-events.js';
import { decodeCursor, encodeCursor } from './connection.mapper.js';
import {
  type ConnectionRecord,
  ConnectionStatus,
  type ConnectionWithToken,
  TokenKind,
} from './connection.record.js';
import { BackgroundTasks } from '../common/background-tasks.js';
import { ConnectionReadsRepository } from './connection-reads.repository.js';
import { ConnectionsRepository } from './connections.repository.js';
import { effectiveStatus, RefreshPolicy } from './refresh-policy.js';
import { describeFailure, StoredTokenCalls } from './stored-token-calls.js';
import { TokenRefresher } from './token-refresher.js';
import { TokenRevealsRepository } from './token-reveals.repository.js';
import { TokenSealer } from './token-sealer.js';

const SHORT_LIVED_SECONDS = 60 * 60;
const DEFAULT_PAGE_SIZE = 50;
/** What connecting learns at once; the client adds `id` to every /me read. */
const PROFILE_FIELDS = ['user_id', 'username'];
/** Kept back from a consent's budget for the writes after the last call. */
const WRITE_RESERVE_MS = 300;
/** Below this, an upgrade call is not worth starting: the sweep does it instead. */
const MIN_UPGRADE_MS = 200;

export interface UsableToken {
  connection: ConnectionRecord;
  accessToken: string;
}

/** What a Meta callback did, and the connections it spared because they were consented since. */
export interface AccountErasure<T> {
  changed: T;
  consentedSince: string[];
}

export interface RevealedToken {
  igUserId: string;
  accessToken: string;
  expiresAt: Date | null;
}

/** The vault: stores, upgrades, refreshes, reveals and forgets Instagram tokens. */
@Injectable()
export class TokensService {
  private readonly logger = new Logger(TokensService.name);
  private readonly userFields: string[];

  constructor(
    private readonly connections: ConnectionsRepository,
    private readonly reads: ConnectionReadsRepository,
    private readonly reveals: TokenRevealsRepository,
    private readonly events: ConnectionEvents,
    private readonly policy: RefreshPolicy,
    private readonly instagram: InstagramClient,
    private readonly sealer: TokenSealer,
    private readonly refresher: TokenRefresher,
    private readonly calls: StoredTokenCalls,
    private readonly background: BackgroundTasks,
    config: ConfigService<AppConfig, true>,
  ) {
    this.userFields = config.get('instagram', { infer: true }).userFields;
  }

  /**
   * Keeps a just-exchanged short-lived token, then upgrades it. The short-lived one is stored
   * first, so a failing upgrade never costs the person a fresh consent.
   */
  async connect(input: {
    token: ShortLivedToken;
    ownerId?: string;
    requestedScopes: string[];
    /** When the consent must have answered (epoch ms): the upgrade gets what is left. */
    deadline: number;
  }): Promise<ConnectionRecord> {
    const { userId: igUserId, accessToken } = input.token;
    const consent = await this.connections.upsertConsented({
      igUserId,
      ownerId: input.ownerId,
      scopes: input.token.permissions ?? input.requestedScopes,
      token: this.sealAndSchedule(
        igUserId,
        accessToken,
        TokenKind.short_lived,
        input.token.expiresInSeconds ?? SHORT_LIVED_SECONDS,
      ),
    });
    const connection = consent.connection;
    if (consent.outcome === 'owner_conflict') {
      this.logger.warn(
        { igUserId, ownerId: connection.ownerId, attemptedOwnerId: input.ownerId },
        'consent refused: the account is connected under another owner; nothing stored',
      );
      throw new AppError(
        ErrorCode.OwnerConflict,
        'This Instagram account is connected under another owner; nothing was changed. ' +
          'Its owner must delete the connection before the account can be connected for another.',
      );
    }
    // The profile is read beside the upgrade, off the critical path: the answer carries the
    // username only if it came in time; otherwise it lands a little later (or on a user read).
    const profile = this.background.run(() => this.learnProfileQuietly(connection, accessToken));
    await this.upgradeAfterConsent(connection, accessToken, input.deadline - WRITE_RESERVE_MS);
    await untilOrDeadline(profile, input.deadline - WRITE_RESERVE_MS);
    return (await this.reads.find(igUserId)) ?? connection;
  }

  async getConnection(igUserId: string): Promise<ConnectionRecord> {
    const connection = await this.reads.find(igUserId);
    if (connection === null) {
      throw notFound(igUserId);
    }
    return connection;
  }

  /** One page of connections; the cursor is opaque to callers (the last id, encoded). */
  async listPage(query: {
    status?: ConnectionStatus;
    ownerId?: string;
    limit?: number;
    cursor?: string;
  }): Promise<{ items: ConnectionRecord[]; nextCursor: string | null }> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const afterIgUserId = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && afterIgUserId === undefined) {
      throw new AppError(ErrorCode.ValidationFailed, 'cursor is not one this service issued.');
    }
    const page = await this.connections.list({
      status: query.status,
      ownerId: query.ownerId,
      afterIgUserId,
      limit: limit + 1,
    });
    const items = page.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: page.length > limit && last ? encodeCursor(last.igUserId) : null };
  }

  async revealAccessToken(igUserId: string, apiKeyName: string): Promise<RevealedToken> {
    const { connection, accessToken } = await this.usableToken(igUserId);
    await this.reveals.record(igUserId, apiKeyName);
    this.logger.log({ igUserId, apiKey: apiKeyName }, 'access token revealed');
    return { igUserId, accessToken, expiresAt: connection.expiresAt };
  }

  /** Refreshes now: upgrades a short-lived token, or renews a long-lived one Instagram allows. */
  async refreshNow(igUserId: string): Promise<ConnectionRecord> {
    await this.activeConnection(igUserId);
    return this.refresher.refreshNow(igUserId);
  }

  async deleteConnection(igUserId: string): Promise<void> {
    if (!(await this.connections.delete(igUserId))) {
      throw notFound(igUserId);
    }
    this.logger.log({ igUserId }, 'connection deleted');
  }

  /**
   * Meta's deauthorize, in the caller's transaction: every connection of the account consented
   * before `consentedBefore` (the request's time) is revoked and its token erased; one the
   * person consented to since is left alone.
   */
  async revokeAccount(
    anyId: string,
    consentedBefore: Date,
    tx: Transaction,
  ): Promise<AccountErasure<ConnectionRecord[]>> {
    const consentedSince = await this.connections.findConsentedSince(anyId, consentedBefore, tx);
    const revoked = await this.connections.revokeAccount(anyId, consentedBefore, tx);
    return { changed: revoked, consentedSince };
  }

  /**
   * Meta's data deletion, in the caller's transaction: the account's connections (matched by
   * any of its ids), their reveal audit and earlier webhook events naming them are deleted.
   * Callers still hear connection.deleted, but the event keeps nothing of the person. A
   * connection consented to after `consentedBefore` (the request's time) is kept, with its trail.
   */
  async eraseAccount(
    anyId: string,
    consentedBefore: Date,
    tx: Transaction,
  ): Promise<AccountErasure<number>> {
    const consentedSince = await this.connections.findConsentedSince(anyId, consentedBefore, tx);
    const connections = await this.connections.findAccount(anyId, consentedBefore, tx);
    const igUserIds = [...new Set([anyId, ...connections.map((c) => c.igUserId)])].filter(
      (id) => !consentedSince.includes(id),
    );
    await this.reveals.deleteFor(igUserIds, tx);
    await this.events.forget(igUserIds, tx);
    await this.connections.deleteAll(
      connections.map((connection) => ({ ...connection, username: null })),
      tx,
    );
    return { changed: connections.length, consentedSince };
  }

  /** Retention: reveal audit rows older than `cutoff` are deleted; answers how many. */
  pruneRevealsBefore(cutoff: Date): Promise<number> {
    return this.reveals.deleteRevealedBefore(cutoff);
  }

  /** The decrypted token of an active, unexpired connection, or the problem that stops its use. */
  async usableToken(igUserId: string): Promise<UsableToken> {
    const connection = await this.activeConnection(igUserId);
    return {
      connection: withoutToken(connection),
      accessToken: this.sealer.openStored(connection),
    };
  }

  /** Stores the ids and username /me taught us, when they differ from what is stored. */
  async learnProfile(connection: ConnectionRecord, node: UserNode): Promise<void> {
    const changes = {
      username: node.username !== connection.username ? node.username : undefined,
      appScopedId: node.id !== connection.appScopedId ? node.id : undefined,
      professionalId: node.userId !== connection.professionalId ? node.userId : undefined,
    };
    await this.connections.updateProfile(connection.igUserId, changes);
  }

  /** An active, unexpired connection (a lapsed one is marked expired on the way). */
  private async activeConnection(igUserId: string): Promise<ConnectionWithToken> {
    const connection = await this.reads.findWithToken(igUserId);
    if (connection === null) {
      throw notFound(igUserId);
    }
    if (effectiveStatus(connection, new Date()) !== connection.status) {
      // Lapsed: what callers already see, now written down.
      const expired = ConnectionStatus.expired;
      await this.connections.markUnusable(igUserId, connection.tokenIssuedAt, expired);
      connection.status = expired;
    }
    if (connection.status !== ConnectionStatus.active) {
      throw new AppError(
        ErrorCode.ConnectionNotActive,
        `The connection of ${igUserId} is ${connection.status}; the person must authorize again.`,
        { extensions: { connectionStatus: connection.status } },
      );
    }
    return connection;
  }

  private sealAndSchedule(igUserId: string, token: string, kind: TokenKind, lifetime: number) {
    return this.policy.schedule(this.sealer.seal(igUserId, token, kind, lifetime));
  }

  private async upgradeAfterConsent(
    connection: ConnectionRecord,
    shortLivedToken: string,
    deadline: number,
  ): Promise<void> {
    const timeoutMs = deadline - Date.now();
    if (timeoutMs < MIN_UPGRADE_MS) {
      this.logger.warn(
        { igUserId: connection.igUserId },
        'no time left for the long-lived exchange; the short-lived token is kept and the sweep upgrades it',
      );
      return;
    }
    try {
      const longLived = await this.calls.run(connection, () =>
        this.instagram.exchangeForLongLived(shortLivedToken, {
          account: connection.igUserId,
          timeoutMs,
        }),
      );
      await this.connections.replaceToken({
        igUserId: connection.igUserId,
        expectedIssuedAt: connection.tokenIssuedAt,
        token: this.sealAndSchedule(
          connection.igUserId,
          longLived.accessToken,
          TokenKind.long_lived,
          longLived.expiresInSeconds,
        ),
        refreshed: false,
      });
    } catch (error) {
      this.logger.warn(
        { igUserId: connection.igUserId, failure: describeFailure(error) },
        'long-lived exchange failed; the short-lived token is kept and a refresh will upgrade it',
      );
    }
  }

  private async learnProfileQuietly(
    connection: ConnectionRecord,
    accessToken: string,
  ): Promise<void> {
    const fields = PROFILE_FIELDS.filter((field) => this.userFields.includes(field));
    try {
      await this.learnProfile(
        connection,
        await this.instagram.getUserNode(accessToken, { fields, account: connection.igUserId }),
      );
    } catch (error) {
      this.logger.warn(
        { igUserId: connection.igUserId, failure: describeFailure(error) },
        'could not read the profile after connecting; it is learned on the first user read',
      );
    }
  }
}

/** Waits for the work, but not past the deadline (the work goes on by itself). */
async function untilOrDeadline(work: Promise<unknown>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work,
    new Promise((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    }),
  ]);
  clearTimeout(timer);
}

function withoutToken(connection: ConnectionWithToken): ConnectionRecord {
  const { tokenCiphertext: _ciphertext, tokenKeyId: _keyId, ...record } = connection;
  return record;
}

function notFound(igUserId: string): AppError {
  return new AppError(
    ErrorCode.ConnectionNotFound,
    `No connection for Instagram user ${igUserId}.`,
  );
}
