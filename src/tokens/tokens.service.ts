import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import { InstagramError, InstagramFailure } from '../instagram/instagram.errors.js';
import type { ShortLivedToken, UserNode } from '../instagram/instagram.wire.js';
import {
  type ConnectionRecord,
  ConnectionStatus,
  type ConnectionWithToken,
  type StoredToken,
  TokenKind,
} from './connection.record.js';
import { TokenCipher } from './token-cipher.js';
import { type ConnectionFilter, TokensRepository } from './tokens.repository.js';

const SHORT_LIVED_SECONDS = 60 * 60;
/** Instagram refuses to refresh a long-lived token younger than this. */
export const MIN_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;
const PROFILE_FIELDS = ['id', 'user_id', 'username'];

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
  private readonly cipher: TokenCipher;
  private readonly userFields: string[];

  constructor(
    private readonly repository: TokensRepository,
    private readonly instagram: InstagramClient,
    config: ConfigService<AppConfig, true>,
  ) {
    this.cipher = new TokenCipher(config.get('vault', { infer: true }).encryptionKeys);
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
  }): Promise<ConnectionRecord> {
    const { userId: igUserId, accessToken } = input.token;
    const shortLived = this.sealToken(
      igUserId,
      accessToken,
      TokenKind.short_lived,
      SHORT_LIVED_SECONDS,
    );
    let connection = await this.repository.upsertConsented({
      igUserId,
      ownerId: input.ownerId,
      scopes: input.token.permissions ?? input.requestedScopes,
      token: shortLived,
    });
    connection = (await this.upgrade(connection, accessToken, false)) ?? connection;
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

  list(filter: ConnectionFilter): Promise<ConnectionRecord[]> {
    return this.repository.list(filter);
  }

  async revealAccessToken(igUserId: string, apiKeyName: string): Promise<RevealedToken> {
    const { connection, accessToken } = await this.usableToken(igUserId);
    await this.repository.recordReveal(igUserId, apiKeyName);
    this.logger.log({ igUserId, apiKey: apiKeyName }, 'access token revealed');
    return { igUserId, accessToken, expiresAt: connection.expiresAt };
  }

  /** Refreshes now: upgrades a short-lived token, or renews a long-lived one Instagram allows. */
  async refreshNow(igUserId: string): Promise<ConnectionRecord> {
    const { connection, accessToken } = await this.usableToken(igUserId);
    if (connection.tokenKind === TokenKind.short_lived) {
      return (await this.upgrade(connection, accessToken, true)) ?? this.getConnection(igUserId);
    }
    const allowedFrom = new Date((connection.tokenIssuedAt?.getTime() ?? 0) + MIN_REFRESH_AGE_MS);
    if (allowedFrom.getTime() > Date.now()) {
      throw new AppError(
        ErrorCode.RefreshNotAllowed,
        `Instagram refreshes long-lived tokens once they are 24 hours old; this one can be refreshed from ${allowedFrom.toISOString()}.`,
        { retryAfterSeconds: (allowedFrom.getTime() - Date.now()) / 1000 },
      );
    }
    const renewed = await this.callInstagram(connection, () =>
      this.instagram.refreshLongLived(accessToken),
    );
    const stored = this.sealToken(
      igUserId,
      renewed.accessToken,
      TokenKind.long_lived,
      renewed.expiresInSeconds,
    );
    const replaced = await this.repository.replaceToken(
      igUserId,
      connection.tokenIssuedAt,
      stored,
      true,
    );
    this.logger.log({ igUserId, replaced: replaced !== null }, 'long-lived token refreshed');
    return replaced ?? this.getConnection(igUserId);
  }

  async deleteConnection(igUserId: string): Promise<void> {
    if (!(await this.repository.delete(igUserId))) {
      throw notFound(igUserId);
    }
    this.logger.log({ igUserId }, 'connection deleted');
  }

  /** The decrypted token of an active, unexpired connection, or the problem that stops its use. */
  async usableToken(igUserId: string): Promise<UsableToken> {
    const connection = await this.repository.findWithToken(igUserId);
    if (connection === null) {
      throw notFound(igUserId);
    }
    if (connection.status === ConnectionStatus.active && isPastExpiry(connection)) {
      await this.repository.markUnusable(igUserId, ConnectionStatus.expired);
      connection.status = ConnectionStatus.expired;
    }
    if (
      connection.status !== ConnectionStatus.active ||
      connection.tokenCiphertext === null ||
      connection.tokenKeyId === null
    ) {
      throw new AppError(
        ErrorCode.ConnectionNotActive,
        `The connection of ${igUserId} is ${connection.status}; the person must authorize again.`,
        { extensions: { connectionStatus: connection.status } },
      );
    }
    const accessToken = this.cipher.open(
      { keyId: connection.tokenKeyId, ciphertext: Buffer.from(connection.tokenCiphertext) },
      igUserId,
    );
    return { connection: withoutToken(connection), accessToken };
  }

  /**
   * Runs a call to Instagram with a connection's token. A token Instagram no longer accepts
   * flips the connection to invalid (or expired) before the error goes up.
   */
  async callInstagram<T>(connection: ConnectionRecord, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof InstagramError && error.failure === InstagramFailure.TokenInvalid) {
        const status = error.tokenExpired ? ConnectionStatus.expired : ConnectionStatus.invalid;
        await this.repository.markUnusable(connection.igUserId, status);
        this.logger.warn(
          {
            igUserId: connection.igUserId,
            code: error.details.code,
            subcode: error.details.subcode,
          },
          `Instagram rejected the stored token; connection marked ${status}`,
        );
        throw new AppError(
          ErrorCode.InstagramTokenInvalid,
          `Instagram no longer accepts the token of ${connection.igUserId} (${error.details.message}); the connection is now ${status} and the person must authorize again.`,
          { cause: error, extensions: { connectionStatus: status } },
        );
      }
      throw error;
    }
  }

  /** Stores the ids and username /me taught us, when they differ from what is stored. */
  async learnProfile(connection: ConnectionRecord, node: UserNode): Promise<void> {
    const changes = {
      username: node.username !== connection.username ? node.username : undefined,
      appScopedId: node.id !== connection.appScopedId ? node.id : undefined,
      professionalId: node.userId !== connection.professionalId ? node.userId : undefined,
    };
    if (Object.values(changes).some((value) => value !== undefined)) {
      await this.repository.updateProfile(connection.igUserId, changes);
    }
  }

  private async upgrade(
    connection: ConnectionRecord,
    shortLivedToken: string,
    failLoudly: boolean,
  ): Promise<ConnectionRecord | null> {
    try {
      const longLived = await this.callInstagram(connection, () =>
        this.instagram.exchangeForLongLived(shortLivedToken),
      );
      const stored = this.sealToken(
        connection.igUserId,
        longLived.accessToken,
        TokenKind.long_lived,
        longLived.expiresInSeconds,
      );
      return await this.repository.replaceToken(
        connection.igUserId,
        connection.tokenIssuedAt,
        stored,
        failLoudly,
      );
    } catch (error) {
      if (failLoudly) {
        throw error;
      }
      this.logger.warn(
        { igUserId: connection.igUserId, failure: describe(error) },
        'long-lived exchange failed; the short-lived token is kept and a refresh will upgrade it',
      );
      return null;
    }
  }

  private async learnProfileQuietly(
    connection: ConnectionRecord,
    accessToken: string,
  ): Promise<void> {
    const fields = PROFILE_FIELDS.filter(
      (field) => this.userFields.includes(field) || field === 'id',
    );
    try {
      await this.learnProfile(connection, await this.instagram.getUserNode(accessToken, fields));
    } catch (error) {
      this.logger.warn(
        { igUserId: connection.igUserId, failure: describe(error) },
        'could not read the profile after connecting; it is learned on the first user read',
      );
    }
  }

  private sealToken(
    igUserId: string,
    token: string,
    kind: TokenKind,
    lifetimeSeconds: number,
  ): StoredToken {
    const issuedAt = new Date();
    return {
      kind,
      ...this.cipher.seal(token, igUserId),
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + lifetimeSeconds * 1000),
    };
  }
}

function isPastExpiry(connection: ConnectionRecord): boolean {
  return connection.expiresAt !== null && connection.expiresAt.getTime() <= Date.now();
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

function describe(error: unknown): string {
  return error instanceof InstagramError || error instanceof AppError
    ? error.message
    : 'unexpected error';
}
