import { Injectable } from '@nestjs/common';
import { DatabasePool, type PreparedStatement } from '../database/database-pool.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Transaction } from '../database/transactions.js';
import { ConnectionStatus } from '../generated/prisma/client.js';
import {
  CONNECTION_SELECT,
  effectiveStatusWhere,
  lapsedWhere,
  matchingAnyId,
  NO_REFRESH_HISTORY,
  tokenColumns,
  WITH_TOKEN_SELECT,
} from './connection.columns.js';
import { ConnectionEvents } from './connection-events.js';
import {
  CONNECTION_COLUMNS,
  type ConnectionRow,
  toConnectionRecord,
} from './connection-reads.repository.js';
import type { ConnectionRecord, ConnectionWithToken, ScheduledToken } from './connection.record.js';
import { consentWouldMoveOwner } from './owner-rule.js';

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

/** A new token for a connection, and what must still hold for it to replace the stored one. */
export interface TokenSwap {
  igUserId: string;
  /** The issue time of the token the caller started from. */
  expectedIssuedAt: Date | null;
  /** When given, the caller must still hold the lease. */
  leaseOwner?: string;
  token: ScheduledToken;
  /** False for the upgrade right after consent, which is not a refresh. */
  refreshed: boolean;
}

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

/**
 * replaceTokens' swaps, one row per array element (swapValues). Answers the swapped rows as a
 * ConnectionRecord reads them (`c.`: the update's own names clash).
 */
const SWAP_TOKENS: PreparedStatement = {
  name: 'vault_swap_tokens',
  text: `UPDATE connections AS c
    SET token_kind = s.token_kind::"TokenKind",
        token_ciphertext = decode(s.ciphertext, 'hex'),
        token_key_id = s.key_id,
        token_issued_at = s.issued_at,
        expires_at = s.expires_at,
        next_refresh_at = s.next_refresh_at,
        last_refreshed_at = CASE WHEN s.refreshed THEN s.issued_at ELSE c.last_refreshed_at END,
        refresh_attempts = 0, last_refresh_error = NULL, last_refresh_error_at = NULL,
        lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
    FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
                $7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::boolean[])
      AS s(ig_user_id, expected_issued_at, lease_owner, token_kind, ciphertext, key_id,
           issued_at, expires_at, next_refresh_at, refreshed)
    WHERE c.ig_user_id = s.ig_user_id
      AND c.token_issued_at IS NOT DISTINCT FROM s.expected_issued_at
      AND c.status = 'active'
      AND (s.lease_owner IS NULL OR c.lease_owner = s.lease_owner)
    RETURNING ${CONNECTION_COLUMNS.map((name) => `c.${name}`).join(', ')}`,
};

/** SWAP_TOKENS' parameters: a column of values per array. */
function swapValues(swaps: TokenSwap[]): unknown[] {
  const column = <T>(pick: (swap: TokenSwap) => T) => swaps.map(pick);
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return [
    column((swap) => swap.igUserId),
    column((swap) => iso(swap.expectedIssuedAt)),
    column((swap) => swap.leaseOwner ?? null),
    column((swap) => swap.token.kind),
    column((swap) => swap.token.ciphertext.toString('hex')),
    column((swap) => swap.token.keyId),
    column((swap) => iso(swap.token.issuedAt)),
    column((swap) => iso(swap.token.expiresAt)),
    column((swap) => iso(swap.token.nextRefreshAt)),
    column((swap) => swap.refreshed),
  ];
}

function byIgUserId(connections: ConnectionRecord[]): Map<string, ConnectionRecord> {
  return new Map(connections.map((connection) => [connection.igUserId, connection]));
}

/**
 * A connection's life: consent, token swaps, verdicts, revocation and deletion, each written
 * with its webhook event in one transaction. The only writer of connections besides the
 * refresh leases (RefreshLeasesRepository) and key rotation (RewrapRepository).
 */
@Injectable()
export class ConnectionsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly database: DatabasePool,
    private readonly events: ConnectionEvents,
  ) {}

  /**
   * Stores a freshly consented token; a connection that existed comes back to life. A consent
   * for an account connected under another owner (owner-rule) stores nothing and changes
   * nothing: the owning service hears of it (connection.owner_conflict). Consents of one
   * account are serialized, so two racing flows for a new account cannot both win.
   */
  async upsertConsented(input: {
    igUserId: string;
    ownerId?: string;
    scopes: string[];
    token: ScheduledToken;
  }): Promise<ConsentOutcome> {
    const fresh = {
      scopes: input.scopes,
      status: ConnectionStatus.active,
      lastRefreshedAt: null,
      consentedAt: input.token.issuedAt,
      ...NO_REFRESH_HISTORY,
      ...tokenColumns(input.token),
    };
    return this.prisma.$transaction(async (tx) => {
      const existing = await this.lockForConsent(input.igUserId, tx);
      if (existing !== null && consentWouldMoveOwner(existing.ownerId, input.ownerId)) {
        await this.events.recordOwnerConflict(existing, input.ownerId, tx);
        return { outcome: 'owner_conflict', connection: existing };
      }
      const connection = await tx.connection.upsert({
        where: { igUserId: input.igUserId },
        create: { igUserId: input.igUserId, ownerId: input.ownerId ?? null, ...fresh },
        // A flow without an owner keeps the owner a previous flow set.
        update: { ...(input.ownerId !== undefined ? { ownerId: input.ownerId } : {}), ...fresh },
        select: CONNECTION_SELECT,
      });
      await this.events.record('connection.created', [connection], tx);
      return { outcome: 'stored', connection };
    });
  }

  /**
   * Takes the account's consent lock for the transaction (a row lock cannot: there may be no
   * row yet), then reads the connection.
   */
  private async lockForConsent(
    igUserId: string,
    tx: Transaction,
  ): Promise<ConnectionRecord | null> {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CONSENT_LOCK_CLASS}::int, hashtext(${igUserId}))`;
    return tx.connection.findUnique({ where: { igUserId }, select: CONNECTION_SELECT });
  }

  /**
   * Swaps in a newer token only if the stored one is still the one the caller started from
   * (compared by issue time) and, when given, the caller still holds the lease: a slow refresh
   * never overwrites a newer token.
   */
  async replaceToken(input: TokenSwap): Promise<ConnectionRecord | null> {
    return (await this.replaceTokens([input])).get(input.igUserId) ?? null;
  }

  /**
   * Many swaps in one statement (the sweep's writes, batched), each under replaceToken's
   * conditions, with a connection.refreshed event for every row swapped when webhooks are on.
   * Answers the swapped connections by id; a swap whose conditions failed is absent.
   */
  async replaceTokens(swaps: TokenSwap[]): Promise<Map<string, ConnectionRecord>> {
    if (swaps.length === 0) {
      return new Map();
    }
    const values = swapValues(swaps);
    if (!this.events.recording) {
      // Nothing to write beside it: the statement is its own transaction, one round trip to
      // the server where an interactive transaction took four.
      const { rows } = await this.database.prepared<ConnectionRow>(SWAP_TOKENS, values);
      return byIgUserId(rows.map(toConnectionRecord));
    }
    return this.prisma.$transaction(async (tx) => {
      const swapped = await tx.$queryRawUnsafe<ConnectionRow[]>(SWAP_TOKENS.text, ...values);
      const connections = swapped.map(toConnectionRecord);
      await this.events.record('connection.refreshed', connections, tx);
      return byIgUserId(connections);
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
      await this.events.record(`connection.${status}`, changed, tx);
    });
  }

  /** Writes down what effectiveStatus already says: lapsed active connections are expired. */
  async expireLapsed(now = new Date()): Promise<number> {
    return this.prisma.$transaction(async (tx) => {
      const expired = await tx.connection.updateManyAndReturn({
        where: lapsedWhere(now),
        data: { status: ConnectionStatus.expired, leaseOwner: null, leaseExpiresAt: null },
        select: CONNECTION_SELECT,
      });
      await this.events.record('connection.expired', expired, tx);
      return expired.length;
    });
  }

  /**
   * Every connection of the account consented before `consentedBefore` becomes revoked and its
   * token material is erased, in the caller's transaction; one consented since is left alone.
   */
  async revokeAccount(
    anyId: string,
    consentedBefore: Date,
    tx: Transaction,
  ): Promise<ConnectionRecord[]> {
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
    await this.events.record('connection.revoked', revoked, tx);
    return revoked;
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
      await this.events.record('connection.deleted', [connection], tx);
      return true;
    });
  }

  /**
   * The connections of an account named by any of its ids, consented before `consentedBefore`,
   * read in the caller's transaction.
   */
  findAccount(anyId: string, consentedBefore: Date, tx: Transaction): Promise<ConnectionRecord[]> {
    return tx.connection.findMany({
      where: { ...matchingAnyId(anyId), consentedAt: { lt: consentedBefore } },
      select: CONNECTION_SELECT,
    });
  }

  /** Ids of the account's connections consented to at or after `at` (a Meta callback spares them). */
  async findConsentedSince(anyId: string, at: Date, tx: Transaction): Promise<string[]> {
    const rows = await tx.connection.findMany({
      where: { ...matchingAnyId(anyId), consentedAt: { gte: at } },
      select: { igUserId: true },
    });
    return rows.map((row) => row.igUserId);
  }

  /** Deletes these connections; connection.deleted tells callers of each as given. */
  async deleteAll(connections: ConnectionRecord[], tx: Transaction): Promise<void> {
    const igUserIds = connections.map((connection) => connection.igUserId);
    await tx.connection.deleteMany({ where: { igUserId: { in: igUserIds } } });
    await this.events.record('connection.deleted', connections, tx);
  }

  find(igUserId: string): Promise<ConnectionRecord | null> {
    return this.prisma.connection.findUnique({ where: { igUserId }, select: CONNECTION_SELECT });
  }

  findWithToken(igUserId: string): Promise<ConnectionWithToken | null> {
    return this.prisma.connection.findUnique({ where: { igUserId }, select: WITH_TOKEN_SELECT });
  }

  /** A page of connections by id; `status` is the status callers see (effectiveStatus). */
  list(filter: ConnectionFilter, now = new Date()): Promise<ConnectionRecord[]> {
    return this.prisma.connection.findMany({
      where: {
        ...effectiveStatusWhere(filter.status, now),
        ownerId: filter.ownerId,
        ...(filter.afterIgUserId !== undefined ? { igUserId: { gt: filter.afterIgUserId } } : {}),
      },
      orderBy: { igUserId: 'asc' },
      take: filter.limit,
      select: CONNECTION_SELECT,
    });
  }

  /** How many connections callers would see in each status, every status listed. */
  async countByEffectiveStatus(now = new Date()): Promise<Map<ConnectionStatus, number>> {
    const [groups, lapsed] = await Promise.all([
      this.prisma.connection.groupBy({ by: ['status'], _count: { _all: true } }),
      this.prisma.connection.count({ where: lapsedWhere(now) }),
    ]);
    const counts = new Map(Object.values(ConnectionStatus).map((status) => [status, 0]));
    for (const group of groups) {
      counts.set(group.status, group._count._all);
    }
    counts.set(ConnectionStatus.active, (counts.get(ConnectionStatus.active) ?? 0) - lapsed);
    counts.set(ConnectionStatus.expired, (counts.get(ConnectionStatus.expired) ?? 0) + lapsed);
    return counts;
  }
}
