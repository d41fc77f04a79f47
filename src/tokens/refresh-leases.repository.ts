import { Injectable } from '@nestjs/common';
import { DatabasePool, type PreparedStatement } from '../database/database-pool.js';
import { PrismaService } from '../database/prisma.service.js';
import {
  CONNECTION_WITH_TOKEN_COLUMNS,
  type ConnectionWithTokenRow,
  toConnectionWithToken,
} from './connection-reads.repository.js';
import { WITH_TOKEN_SELECT } from './connection.columns.js';
import type { ConnectionWithToken } from './connection.record.js';
import type { DueCutoffs } from './refresh-policy.js';

/** What every claimable connection is: active, its token live, no lease held. */
const CLAIMABLE = `status = 'active' AND token_ciphertext IS NOT NULL
        AND expires_at > $3::timestamptz
        AND (lease_expires_at IS NULL OR lease_expires_at <= now())`;

/**
 * A sweep's claim, a named statement on the pool (DatabasePool.prepared) answering the rows it
 * leased as the hot reads map them: through Prisma's raw query pipeline, shaping 16 rows of 19
 * columns cost more of a sweep's CPU than the claim's share of the refresh itself.
 *
 * Each way of being due is read on its own partial index in that index's order, so the claim
 * reads about the rows it takes: the longest overdue of the stored times, the soonest to end in
 * the refresh window. One condition with OR could only filter the whole table, and did, every
 * sweep, with nothing due (20 ms of PostgreSQL for 100,000 connections). A row both ways due
 * comes once; of the two short lists the soonest to expire are leased.
 */
export const CLAIM_DUE: PreparedStatement = {
  name: 'vault_claim_due_tokens',
  text: `UPDATE connections
    SET lease_owner = $1, lease_expires_at = now() + make_interval(secs => $2)
    WHERE ig_user_id = ANY(ARRAY(
      WITH scheduled AS (
        SELECT ig_user_id, expires_at FROM connections
        WHERE ${CLAIMABLE} AND next_refresh_at <= $3::timestamptz
        ORDER BY next_refresh_at
        LIMIT $6
        FOR UPDATE SKIP LOCKED),
      in_window AS (
        SELECT ig_user_id, expires_at FROM connections
        WHERE ${CLAIMABLE} AND refresh_attempts = 0 AND token_kind = 'long_lived'
          AND expires_at <= $4::timestamptz AND token_issued_at <= $5::timestamptz
        ORDER BY expires_at
        LIMIT $6
        FOR UPDATE SKIP LOCKED)
      SELECT ig_user_id FROM (SELECT * FROM scheduled UNION SELECT * FROM in_window) AS due
      ORDER BY expires_at
      LIMIT $6))
    RETURNING ${CONNECTION_WITH_TOKEN_COLUMNS.join(', ')}`,
};

export interface LeaseTerms {
  owner: string;
  leaseMs: number;
}

/**
 * Refresh leases on connections: which replica refreshes a token right now. Used by
 * TokenRefresher alone. Lease times are the database's clock, so replicas agree on them.
 */
@Injectable()
export class RefreshLeasesRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly database: DatabasePool,
  ) {}

  /**
   * Claims up to `limit` due tokens: active, unexpired, not leased, and due by
   * RefreshPolicy.isDue, whose thresholds come in as `due`. SKIP LOCKED keeps two replicas
   * off the same rows; the soonest to expire go first.
   */
  async claimDue(
    lease: LeaseTerms,
    due: DueCutoffs,
    limit: number,
  ): Promise<ConnectionWithToken[]> {
    // Times go in as ISO text cast here: an untyped timestamp would be read in the session's zone.
    const { rows } = await this.database.prepared<ConnectionWithTokenRow>(CLAIM_DUE, [
      lease.owner,
      lease.leaseMs / 1000,
      due.now.toISOString(),
      due.expiringBefore.toISOString(),
      due.issuedBefore.toISOString(),
      limit,
    ]);
    return rows.map(toConnectionWithToken);
  }

  /** Claims one connection for an on-demand refresh; null when another refresh holds it. */
  async claimOne(igUserId: string, lease: LeaseTerms): Promise<ConnectionWithToken | null> {
    const claimed = await this.prisma.$queryRaw<{ ig_user_id: string }[]>`
      UPDATE connections
      SET lease_owner = ${lease.owner},
          lease_expires_at = now() + make_interval(secs => ${lease.leaseMs / 1000})
      WHERE ig_user_id = ${igUserId}
        AND (lease_expires_at IS NULL OR lease_expires_at <= now())
      RETURNING ig_user_id`;
    if (claimed.length === 0) {
      return null;
    }
    return this.prisma.connection.findUnique({ where: { igUserId }, select: WITH_TOKEN_SELECT });
  }

  /** Gives the lease back after a failed attempt: counted, its reason kept, the next try set. */
  async releaseAfterFailure(input: {
    igUserId: string;
    owner: string;
    error: string;
    nextRefreshAt: Date | null;
  }): Promise<void> {
    await this.prisma.connection.updateMany({
      where: { igUserId: input.igUserId, leaseOwner: input.owner },
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

  async release(igUserId: string, owner: string): Promise<void> {
    await this.prisma.connection.updateMany({
      where: { igUserId, leaseOwner: owner },
      data: { leaseOwner: null, leaseExpiresAt: null },
    });
  }

  /**
   * Gives up every lease the owner holds (shutdown, and a restart taking back its own), so
   * another replica takes over at once. Plain SQL on the pool: it runs before the service is
   * ready, and Prisma's first query would load and compile its query engine on that path.
   */
  async releaseAll(owner: string): Promise<number> {
    const { rowCount } = await this.database.pool.query(
      `UPDATE connections SET lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
       WHERE lease_owner = $1`,
      [owner],
    );
    return rowCount ?? 0;
  }
}
