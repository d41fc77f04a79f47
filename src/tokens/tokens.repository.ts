import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig, RefreshConfig } from '../config/app-config.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Transaction } from '../database/transactions.js';
import { ConnectionStatus, type Prisma, TokenKind } from '../generated/prisma/client.js';
import { WebhookOutbox } from '../webhooks/webhook-outbox.js';
import type { ConnectionRecord, ConnectionWithToken, StoredToken } from './connection.record.js';
import { consentWouldMoveOwner } from './owner-rule.js';

const CONNECTION_SELECT = {
  igUserId: true,
  appScopedId: true,
  professionalId: true,
  ownerId: true,
  username: true,
  scopes: true,
  tokenKind: true,
  status: true,
  tokenIssuedAt: true,
  expiresAt: true,
  lastRefreshedAt: true,
  refreshAttempts: true,
  nextRefreshAt: true,
  lastRefreshError: true,
  lastRefreshErrorAt: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.ConnectionSelect;

const WITH_TOKEN_SELECT = {
  ...CONNECTION_SELECT,
  tokenCiphertext: true,
  tokenKeyId: true,
} satisfies Prisma.ConnectionSelect;

export interface ConnectionFilter {
  status?: ConnectionStatus;
  ownerId?: string;
  /** Keyset pagination: only connections whose id sorts after this one. */
  afterIgUserId?: string;
  limit: number;
}

export interface ProfileIds {
  username?: string;
  appScopedId?: string;
  professionalId?: string;
}

/** A fresh short-lived token is upgraded in the request; the sweep steps in after this. */
const SHORT_LIVED_GRACE_MS = 60 * 1000;

type UnusableStatus = typeof ConnectionStatus.invalid | typeof ConnectionStatus.expired;

/** A consent stored, or refused because the account is connected under another owner. */
export type ConsentOutcome =
  | { outcome: 'stored'; connection: ConnectionRecord }
  | { outcome: 'owner_conflict'; connection: ConnectionRecord };

/**
 * Class of the transaction-level advisory locks that serialize the consents of one account
 * (the second key is a hash of its id). Two-key locks never meet the migrator's one-key lock.
 */
const CONSENT_LOCK_CLASS = 1_986_094_641;

/** What a Meta callback did: what it changed, and the ids it left because they consented since. */
export interface AccountErasure<T> {
  changed: T;
  consentedSince: string[];
}

@Injectable()
export class TokensRepository {
  private readonly refresh: RefreshConfig;

  constructor(
    private readonly prisma: PrismaService,
    private readonly outbox: WebhookOutbox,
    config: ConfigService<AppConfig, true>,
  ) {
    this.refresh = config.get('refresh', { infer: true });
  }

  /**
   * Stores a freshly consented token; a connection that existed comes back to life. A consent
   * for an account connected under another owner stores nothing and changes nothing: the
   * owning service hears of it (connection.owner_conflict). Consents of one account are
   * serialized, so two racing flows for a new account cannot both win.
   */
  async upsertConsented(input: {
    igUserId: string;
    ownerId?: string;
    scopes: string[];
    token: StoredToken;
  }): Promise<ConsentOutcome> {
    const token = this.tokenColumns(input.token);
    const fresh = {
      scopes: input.scopes,
      status: ConnectionStatus.active,
      lastRefreshedAt: null,
      consentedAt: input.token.issuedAt,
      ...NO_REFRESH_HISTORY,
      ...token,
    };
    return this.prisma.$transaction(async (tx) => {
      const existing = await this.lockForConsent(tx, input.igUserId);
      if (existing !== null && consentWouldMoveOwner(existing.ownerId, input.ownerId)) {
        await this.outbox.record(tx, 'connection.owner_conflict', [existing], {
          attemptedOwnerId: input.ownerId,
        });
        return { outcome: 'owner_conflict', connection: existing };
      }
      const connection = await tx.connection.upsert({
        where: { igUserId: input.igUserId },
        create: { igUserId: input.igUserId, ownerId: input.ownerId ?? null, ...fresh },
        // A flow without an owner keeps the owner a previous flow set.
        update: { ...(input.ownerId !== undefined ? { ownerId: input.ownerId } : {}), ...fresh },
        select: CONNECTION_SELECT,
      });
      await this.outbox.record(tx, 'connection.created', [connection]);
      return { outcome: 'stored', connection };
    });
  }

  /** Takes the account's consent lock for the transaction (a row lock cannot: there may be no row yet). */
  private async lockForConsent(
    tx: Transaction,
    igUserId: string,
  ): Promise<ConnectionRecord | null> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CONSENT_LOCK_CLASS}::int, hashtext(${igUserId}))`;
    return tx.connection.findUnique({ where: { igUserId }, select: CONNECTION_SELECT });
  }

  /**
   * Swaps in a newer token only if the stored one is still the one the caller started from
   * (compared by issue time) and, when given, the caller still holds the lease: a slow refresh
   * never overwrites a newer token.
   */
  async replaceToken(input: {
    igUserId: string;
    expectedIssuedAt: Date | null;
    leaseOwner?: string;
    token: StoredToken;
    /** False for the upgrade right after consent, which is not a refresh. */
    refreshed: boolean;
  }): Promise<ConnectionRecord | null> {
    return this.prisma.$transaction(async (tx) => {
      const [connection] = await tx.connection.updateManyAndReturn({
        where: {
          igUserId: input.igUserId,
          tokenIssuedAt: input.expectedIssuedAt,
          status: ConnectionStatus.active,
          ...(input.leaseOwner !== undefined ? { leaseOwner: input.leaseOwner } : {}),
        },
        data: {
          ...this.tokenColumns(input.token),
          ...(input.refreshed ? { lastRefreshedAt: input.token.issuedAt } : {}),
          ...NO_REFRESH_HISTORY,
        },
        select: CONNECTION_SELECT,
      });
      if (connection === undefined) {
        return null;
      }
      await this.outbox.record(tx, 'connection.refreshed', [connection]);
      return connection;
    });
  }

  async updateProfile(igUserId: string, profile: ProfileIds): Promise<void> {
    const data = Object.fromEntries(
      Object.entries(profile).filter(([, value]) => value !== undefined),
    );
    if (Object.keys(data).length > 0) {
      await this.prisma.connection.updateMany({ where: { igUserId }, data });
    }
  }

  /**
   * Marks a connection unusable (invalid or expired), only while it still holds the token the
   * verdict is about: a 190 for an old token must not sink a connection the person re-consented.
   */
  async markUnusable(
    igUserId: string,
    tokenIssuedAt: Date | null,
    status: UnusableStatus,
    reason?: string,
  ): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const changed = await tx.connection.updateManyAndReturn({
        where: { igUserId, tokenIssuedAt, status: ConnectionStatus.active },
        data: {
          status,
          leaseOwner: null,
          leaseExpiresAt: null,
          nextRefreshAt: null,
          ...(reason !== undefined
            ? { lastRefreshError: reason, lastRefreshErrorAt: new Date() }
            : {}),
        },
        select: CONNECTION_SELECT,
      });
      await this.outbox.record(tx, `connection.${status}`, changed);
    });
  }

  /** Active connections whose token has run out become expired; answers how many. */
  async expireLapsed(now = new Date()): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const expired = await tx.connection.updateManyAndReturn({
        where: { status: ConnectionStatus.active, expiresAt: { lte: now } },
        data: { status: ConnectionStatus.expired, leaseOwner: null, leaseExpiresAt: null },
        select: CONNECTION_SELECT,
      });
      await this.outbox.record(tx, 'connection.expired', expired);
      return expired.length;
    });
  }

  /**
   * Claims tokens due for refresh for one replica: active, unexpired, not leased, and past
   * their next_refresh_at (set at every token write: soon for a short-lived token to upgrade,
   * the start of the refresh window for a long-lived one, a back-off after a failure).
   * SKIP LOCKED keeps two replicas off the same rows.
   */
  async claimDueForRefresh(
    owner: string,
    leaseMs: number,
    limit: number,
  ): Promise<ConnectionWithToken[]> {
    const claimed = await this.prisma.$queryRaw<{ ig_user_id: string }[]>`
      UPDATE connections
      SET lease_owner = ${owner}, lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000})
      WHERE ig_user_id IN (
        SELECT ig_user_id FROM connections
        WHERE status = 'active' AND token_ciphertext IS NOT NULL AND expires_at > now()
          AND (lease_expires_at IS NULL OR lease_expires_at <= now())
          AND (next_refresh_at <= now()
            -- also due by today's settings, unless a failure set a back-off
            OR (refresh_attempts = 0 AND token_kind = 'long_lived'
              AND expires_at <= now() + make_interval(secs => ${this.refresh.aheadSeconds})
              AND token_issued_at <= now() - make_interval(secs => ${this.refresh.minAgeSeconds})))
        ORDER BY expires_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING ig_user_id`;
    if (claimed.length === 0) {
      return [];
    }
    return this.prisma.connection.findMany({
      where: { igUserId: { in: claimed.map((row) => row.ig_user_id) }, leaseOwner: owner },
      select: WITH_TOKEN_SELECT,
    });
  }

  /** Claims one connection for an on-demand refresh; null when another refresh holds it. */
  async claimOne(
    igUserId: string,
    owner: string,
    leaseMs: number,
  ): Promise<ConnectionWithToken | null> {
    const claimed = await this.prisma.$queryRaw<{ ig_user_id: string }[]>`
      UPDATE connections
      SET lease_owner = ${owner}, lease_expires_at = now() + make_interval(secs => ${leaseMs / 1000})
      WHERE ig_user_id = ${igUserId}
        AND (lease_expires_at IS NULL OR lease_expires_at <= now())
      RETURNING ig_user_id`;
    if (claimed.length === 0) {
      return null;
    }
    return this.prisma.connection.findUnique({ where: { igUserId }, select: WITH_TOKEN_SELECT });
  }

  /** A failed attempt: counted, its reason kept (no secrets), the next try pushed back. */
  async recordRefreshFailure(input: {
    igUserId: string;
    leaseOwner: string;
    error: string;
    nextRefreshAt: Date | null;
  }): Promise<void> {
    await this.prisma.connection.updateMany({
      where: { igUserId: input.igUserId, leaseOwner: input.leaseOwner },
      data: {
        refreshAttempts: { increment: 1 },
        ...(input.nextRefreshAt !== null ? { nextRefreshAt: input.nextRefreshAt } : {}),
        lastRefreshError: input.error.slice(0, 500),
        lastRefreshErrorAt: new Date(),
        leaseOwner: null,
        leaseExpiresAt: null,
      },
    });
  }

  async releaseLease(igUserId: string, owner: string): Promise<void> {
    await this.prisma.connection.updateMany({
      where: { igUserId, leaseOwner: owner },
      data: { leaseOwner: null, leaseExpiresAt: null },
    });
  }

  /** Gives up every lease this replica holds (shutdown), so another takes over at once. */
  async releaseAllLeases(owner: string): Promise<number> {
    const { count } = await this.prisma.connection.updateMany({
      where: { leaseOwner: owner },
      data: { leaseOwner: null, leaseExpiresAt: null },
    });
    return count;
  }

  find(igUserId: string): Promise<ConnectionRecord | null> {
    return this.prisma.connection.findUnique({ where: { igUserId }, select: CONNECTION_SELECT });
  }

  findWithToken(igUserId: string): Promise<ConnectionWithToken | null> {
    return this.prisma.connection.findUnique({ where: { igUserId }, select: WITH_TOKEN_SELECT });
  }

  list(filter: ConnectionFilter): Promise<ConnectionRecord[]> {
    return this.prisma.connection.findMany({
      where: {
        ...statusWhere(filter.status, new Date()),
        ownerId: filter.ownerId,
        ...(filter.afterIgUserId !== undefined ? { igUserId: { gt: filter.afterIgUserId } } : {}),
      },
      orderBy: { igUserId: 'asc' },
      take: filter.limit,
      select: CONNECTION_SELECT,
    });
  }

  async delete(igUserId: string): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      const connection = await tx.connection.findUnique({
        where: { igUserId },
        select: CONNECTION_SELECT,
      });
      if (connection === null) {
        return false;
      }
      await tx.connection.delete({ where: { igUserId } });
      await this.outbox.record(tx, 'connection.deleted', [connection]);
      return true;
    });
  }

  private tokenColumns(token: StoredToken) {
    return {
      tokenKind: token.kind,
      tokenCiphertext: new Uint8Array(token.ciphertext),
      tokenKeyId: token.keyId,
      tokenIssuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
      nextRefreshAt: this.firstRefreshAt(token),
    };
  }

  /** When the sweep should first refresh a token just stored. */
  private firstRefreshAt(token: StoredToken): Date {
    const issuedAt = token.issuedAt.getTime();
    if (token.kind === TokenKind.short_lived) {
      return new Date(issuedAt + SHORT_LIVED_GRACE_MS);
    }
    const windowOpens = token.expiresAt.getTime() - this.refresh.aheadSeconds * 1000;
    return new Date(Math.max(windowOpens, issuedAt + this.refresh.minAgeSeconds * 1000));
  }

  /**
   * Meta's deauthorize: every connection of the account (matched by any of its three ids)
   * consented before `consentedBefore` becomes revoked and its token material is erased. One
   * the person consented to since is left alone: the callback is older than that consent.
   */
  async revokeAccount(
    anyId: string,
    consentedBefore: Date,
    tx: Transaction,
  ): Promise<AccountErasure<ConnectionRecord[]>> {
    const consentedSince = await this.consentedSince(tx, anyId, consentedBefore);
    const revoked = await tx.connection.updateManyAndReturn({
      where: {
        ...matchingAnyId(anyId),
        status: { not: ConnectionStatus.revoked },
        consentedAt: { lt: consentedBefore },
      },
      data: {
        status: ConnectionStatus.revoked,
        tokenCiphertext: null,
        tokenKeyId: null,
        nextRefreshAt: null,
        leaseOwner: null,
        leaseExpiresAt: null,
      },
      select: CONNECTION_SELECT,
    });
    await this.outbox.record(tx, 'connection.revoked', revoked);
    return { changed: revoked, consentedSince };
  }

  /**
   * Meta's data deletion: everything held for the account (connections, reveal audit rows,
   * earlier webhook events naming it) is deleted in one transaction (the caller's, which also
   * records the request). Callers still get connection.deleted. A connection the person
   * consented to after `consentedBefore` (the request's time) is kept, with its trail.
   */
  async deleteAccountData(
    anyId: string,
    consentedBefore: Date,
    tx: Transaction,
  ): Promise<AccountErasure<number>> {
    const consentedSince = await this.consentedSince(tx, anyId, consentedBefore);
    const connections = await tx.connection.findMany({
      where: { ...matchingAnyId(anyId), consentedAt: { lt: consentedBefore } },
      select: CONNECTION_SELECT,
    });
    const ids = [
      ...new Set([anyId, ...connections.map((connection) => connection.igUserId)]),
    ].filter((id) => !consentedSince.includes(id));
    await tx.connection.deleteMany({ where: { igUserId: { in: ids } } });
    await tx.tokenReveal.deleteMany({ where: { igUserId: { in: ids } } });
    await tx.$executeRaw`
        DELETE FROM webhook_events
        WHERE payload -> 'data' -> 'connection' ->> 'igUserId' = ANY(${ids})`;
    // Callers still hear of it, but the event keeps nothing of the person: no username.
    await this.outbox.record(
      tx,
      'connection.deleted',
      connections.map((connection) => ({ ...connection, username: null })),
    );
    return { changed: connections.length, consentedSince };
  }

  /** Ids of the account's connections consented to at or after `at`. */
  private async consentedSince(tx: Transaction, anyId: string, at: Date): Promise<string[]> {
    const rows = await tx.connection.findMany({
      where: { ...matchingAnyId(anyId), consentedAt: { gte: at } },
      select: { igUserId: true },
    });
    return rows.map((row) => row.igUserId);
  }

  /** Connections whose token is sealed under another key than `keyId`, a page at a time. */
  findSealedUnderOtherKeys(
    keyId: string,
    afterIgUserId: string,
    limit: number,
  ): Promise<ConnectionWithToken[]> {
    return this.prisma.connection.findMany({
      where: {
        tokenCiphertext: { not: null },
        tokenKeyId: { not: keyId },
        igUserId: { gt: afterIgUserId },
      },
      orderBy: { igUserId: 'asc' },
      take: limit,
      select: WITH_TOKEN_SELECT,
    });
  }

  /** How many stored tokens are sealed under any of these keys. */
  countSealedUnder(keyIds: string[]): Promise<number> {
    return this.prisma.connection.count({
      where: { tokenCiphertext: { not: null }, tokenKeyId: { in: keyIds } },
    });
  }

  /** Swaps a ciphertext for its re-encryption, only if nobody wrote a new token meanwhile. */
  async replaceCiphertext(
    connection: ConnectionWithToken,
    sealed: { keyId: string; ciphertext: Buffer },
  ): Promise<boolean> {
    if (connection.tokenCiphertext === null) {
      return false;
    }
    const { count } = await this.prisma.connection.updateMany({
      where: {
        igUserId: connection.igUserId,
        tokenKeyId: connection.tokenKeyId,
        tokenCiphertext: { equals: new Uint8Array(connection.tokenCiphertext) },
      },
      data: { tokenKeyId: sealed.keyId, tokenCiphertext: new Uint8Array(sealed.ciphertext) },
    });
    return count === 1;
  }

  async recordReveal(igUserId: string, apiKeyName: string): Promise<void> {
    await this.prisma.tokenReveal.create({ data: { igUserId, apiKeyName } });
  }

  /** Retention: reveal audit rows older than `cutoff` go, a batch at a time; answers how many. */
  async deleteRevealsBefore(cutoff: Date, batchSize = 5000): Promise<number> {
    let deleted = 0;
    for (;;) {
      // SKIP LOCKED: replicas pruning at once share the work instead of waiting on each other.
      const count = await this.prisma.$executeRaw`
        DELETE FROM token_reveals WHERE id IN (
          SELECT id FROM token_reveals WHERE revealed_at < ${cutoff}
          LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)`;
      deleted += count;
      if (count < batchSize) {
        return deleted;
      }
    }
  }
}

function matchingAnyId(anyId: string): Prisma.ConnectionWhereInput {
  return { OR: [{ igUserId: anyId }, { appScopedId: anyId }, { professionalId: anyId }] };
}

/**
 * A status as callers see it: an active row whose token has run out is expired already, even
 * before the sweep writes so.
 */
function statusWhere(status: ConnectionStatus | undefined, now: Date): Prisma.ConnectionWhereInput {
  switch (status) {
    case undefined:
      return {};
    case ConnectionStatus.active:
      return { status, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
    case ConnectionStatus.expired:
      return {
        OR: [{ status }, { status: ConnectionStatus.active, expiresAt: { lte: now } }],
      };
    default:
      return { status };
  }
}

const NO_REFRESH_HISTORY = {
  refreshAttempts: 0,
  lastRefreshError: null,
  lastRefreshErrorAt: null,
  leaseOwner: null,
  leaseExpiresAt: null,
};
