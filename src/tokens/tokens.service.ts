import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import type { ShortLivedToken, UserNode } from '../instagram/instagram.wire.js';
import {
  type ConnectionRecord,
  ConnectionStatus,
  type ConnectionWithToken,
  hasLapsed,
  TokenKind,
} from './connection.record.js';
import { describeFailure, StoredTokenCalls } from './stored-token-calls.js';
import { TokenRefresher } from './token-refresher.js';
import { TokenSealer } from './token-sealer.js';
import { decodeCursor, encodeCursor } from './connection.mapper.js';
import { TokensRepository } from './tokens.repository.js';

const SHORT_LIVED_SECONDS = 60 * 60;
const DEFAULT_PAGE_SIZE = 50;
/** What connecting learns at once; the client adds `id` to every /me read. */
const PROFILE_FIELDS = ['user_id', 'username'];

export interface UsableToken {
  connection: ConnectionRecord;
  accessToken: string;
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
  private readonly minRefreshAgeMs: number;

  constructor(
    private readonly repository: TokensRepository,
    private readonly instagram: InstagramClient,
    private readonly sealer: TokenSealer,
    private readonly refresher: TokenRefresher,
    private readonly calls: StoredTokenCalls,
    config: ConfigService<AppConfig, true>,
  ) {
    this.userFields = config.get('instagram', { infer: true }).userFields;
    this.minRefreshAgeMs = config.get('refresh', { infer: true }).minAgeSeconds * 1000;
  }

  /**
   * Keeps a just-exchanged short-lived token, then upgrades it. The short-lived one is stored
   * first, so a failing upgrade never costs the person a fresh consent.
   */
  async connect(input: {
    token: ShortLivedToken;
    ownerId?: string;
    requestedScopes: string[];
  }): Promise<ConnectionRecord> {
    const { userId: igUserId, accessToken } = input.token;
    const consent = await this.repository.upsertConsented({
      igUserId,
      ownerId: input.ownerId,
      scopes: input.token.permissions ?? input.requestedScopes,
      token: this.sealer.seal(
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
    await this.upgradeAfterConsent(connection, accessToken);
    await this.learnProfileQuietly(connection, accessToken);
    return (await this.repository.find(igUserId)) ?? connection;
  }

  async getConnection(igUserId: string): Promise<ConnectionRecord> {
    const connection = await this.repository.find(igUserId);
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
    const page = await this.repository.list({
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
    await this.repository.recordReveal(igUserId, apiKeyName);
    this.logger.log({ igUserId, apiKey: apiKeyName }, 'access token revealed');
    return { igUserId, accessToken, expiresAt: connection.expiresAt };
  }

  /** Refreshes now: upgrades a short-lived token, or renews a long-lived one Instagram allows. */
  async refreshNow(igUserId: string): Promise<ConnectionRecord> {
    await this.activeConnection(igUserId);
    const claimed = await this.repository.claimOne(
      igUserId,
      this.refresher.owner,
      this.refresher.leaseMs,
    );
    if (claimed === null) {
      throw new AppError(
        ErrorCode.RefreshInProgress,
        `The token of ${igUserId} is being refreshed right now; read the connection in a moment.`,
        { retryAfterSeconds: 5 },
      );
    }
    if (claimed.tokenKind === TokenKind.long_lived) {
      const allowedFrom = (claimed.tokenIssuedAt?.getTime() ?? 0) + this.minRefreshAgeMs;
      if (allowedFrom > Date.now()) {
        await this.repository.releaseLease(igUserId, this.refresher.owner);
        throw new AppError(
          ErrorCode.RefreshNotAllowed,
          `Instagram refreshes long-lived tokens once they are 24 hours old; this one can be refreshed from ${new Date(allowedFrom).toISOString()}.`,
          { retryAfterSeconds: (allowedFrom - Date.now()) / 1000 },
        );
      }
    }
    return this.refresher.refreshClaimed(claimed, 'on_demand');
  }

  async deleteConnection(igUserId: string): Promise<void> {
    if (!(await this.repository.delete(igUserId))) {
      throw notFound(igUserId);
    }
    this.logger.log({ igUserId }, 'connection deleted');
  }

  /** The decrypted token of an active, unexpired connection, or the problem that stops its use. */
  async usableToken(igUserId: string): Promise<UsableToken> {
    const connection = await this.activeConnection(igUserId);
    return {
      connection: withoutToken(connection),
      accessToken: this.sealer.openStored(connection),
    };
  }

  /** An active, unexpired connection (a lapsed one is marked expired on the way). */
  private async activeConnection(igUserId: string): Promise<ConnectionWithToken> {
    const connection = await this.repository.findWithToken(igUserId);
    if (connection === null) {
      throw notFound(igUserId);
    }
    if (connection.status === ConnectionStatus.active && hasLapsed(connection)) {
      await this.repository.markUnusable(
        igUserId,
        connection.tokenIssuedAt,
        ConnectionStatus.expired,
      );
      connection.status = ConnectionStatus.expired;
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

  /** Stores the ids and username /me taught us, when they differ from what is stored. */
  async learnProfile(connection: ConnectionRecord, node: UserNode): Promise<void> {
    const changes = {
      username: node.username !== connection.username ? node.username : undefined,
      appScopedId: node.id !== connection.appScopedId ? node.id : undefined,
      professionalId: node.userId !== connection.professionalId ? node.userId : undefined,
    };
    await this.repository.updateProfile(connection.igUserId, changes);
  }

  private async upgradeAfterConsent(
    connection: ConnectionRecord,
    shortLivedToken: string,
  ): Promise<void> {
    try {
      const longLived = await this.calls.run(connection, () =>
        this.instagram.exchangeForLongLived(shortLivedToken),
      );
      await this.repository.replaceToken({
        igUserId: connection.igUserId,
        expectedIssuedAt: connection.tokenIssuedAt,
        token: this.sealer.seal(
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
      await this.learnProfile(connection, await this.instagram.getUserNode(accessToken, fields));
    } catch (error) {
      this.logger.warn(
        { igUserId: connection.igUserId, failure: describeFailure(error) },
        'could not read the profile after connecting; it is learned on the first user read',
      );
    }
  }
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
