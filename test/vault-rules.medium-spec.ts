import { AppError, ErrorCode } from '../src/common/app-error.js';
import { DatabasePool } from '../src/database/database-pool.js';
import { Transactions } from '../src/database/transactions.js';
import { ConnectionStatus, TokenKind } from '../src/tokens/connection.record.js';
import { ConnectionsRepository } from '../src/tokens/connections.repository.js';
import { CLAIM_DUE } from '../src/tokens/refresh-leases.repository.js';
import { effectiveStatus, RefreshPolicy } from '../src/tokens/refresh-policy.js';
import { TokenRefresher } from '../src/tokens/token-refresher.js';
import { TokenRevealsRepository } from '../src/tokens/token-reveals.repository.js';
import { TokensService } from '../src/tokens/tokens.service.js';
import {
  arrangeRefreshFacts,
  connectionRow,
  heldLeases,
  revealAudit,
  storeConnection,
} from './support/connections.js';
import { eventRows } from './support/outbox.js';
import { useTestApp } from './support/test-app.js';

/**
 * Medium tests (immich's word): the vault's rules through its real services and repositories
 * on a real database, without HTTP or Instagram. Each rule lives once, in refresh-policy; these
 * check that the SQL that applies it (claims, status filters, counts) agrees with it.
 */

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

describe('the vault rules on a real database', () => {
  // Nothing listens there: events stay in the outbox, where these tests read them.
  const test = useTestApp({
    WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
    WEBHOOK_SECRET: 'medium-secret-0123456789',
  });

  async function records(igUserIds: string[]) {
    const repository = test.app.get(ConnectionsRepository);
    return Promise.all(
      igUserIds.map(async (igUserId) => {
        const record = await repository.find(igUserId);
        expect(record).not.toBeNull();
        return record as NonNullable<typeof record>;
      }),
    );
  }

  it('claims for refresh exactly the connections RefreshPolicy.isDue calls due', async () => {
    const due = {
      nextRefreshPassed: { nextRefreshInMs: -MINUTE_MS },
      inWindowAndOldEnough: { issuedInMs: -25 * HOUR_MS, expiresInMs: 3 * DAY_MS },
      shortLivedGraceOver: { tokenKind: TokenKind.short_lived, nextRefreshInMs: -MINUTE_MS },
    };
    const notDue = {
      fresh: {},
      inWindowButYoung: { issuedInMs: -HOUR_MS, expiresInMs: 3 * DAY_MS },
      oldButFarFromEnd: { issuedInMs: -25 * HOUR_MS },
      backingOffInWindow: {
        issuedInMs: -25 * HOUR_MS,
        expiresInMs: 3 * DAY_MS,
        nextRefreshInMs: HOUR_MS,
        refreshAttempts: 2,
      },
      shortLivedInGrace: { tokenKind: TokenKind.short_lived, nextRefreshInMs: MINUTE_MS },
      invalid: { status: ConnectionStatus.invalid, nextRefreshInMs: -MINUTE_MS },
      expired: { status: ConnectionStatus.expired, nextRefreshInMs: -MINUTE_MS },
      lapsedWhileActive: { expiresInMs: -MINUTE_MS, nextRefreshInMs: -HOUR_MS },
    };
    const ids = new Map<string, string>();
    for (const [name, facts] of Object.entries({ ...due, ...notDue })) {
      const igUserId = await storeConnection(test);
      await arrangeRefreshFacts(test, igUserId, facts);
      ids.set(igUserId, name);
    }
    const revoked = await storeConnection(test);
    await arrangeRefreshFacts(test, revoked, { nextRefreshInMs: -MINUTE_MS });
    await test.app
      .get(Transactions)
      .run((tx) => test.app.get(TokensService).revokeAccount(revoked, aSecondFromNow(), tx));
    ids.set(revoked, 'revoked');

    const policy = test.app.get(RefreshPolicy);
    const now = new Date();
    const dueByPolicy = (await records([...ids.keys()]))
      .filter((record) => policy.isDue(record, now))
      .map((record) => ids.get(record.igUserId));
    const refresher = test.app.get(TokenRefresher);
    const claimed = (await refresher.claimDue(100))
      .filter((connection) => ids.has(connection.igUserId))
      .map((connection) => ids.get(connection.igUserId));

    expect(dueByPolicy.sort()).toEqual(Object.keys(due).sort());
    expect(claimed.sort()).toEqual(dueByPolicy.sort());
    // Claimed means leased: a second claim finds none of them.
    expect(
      (await refresher.claimDue(100)).filter((connection) => ids.has(connection.igUserId)),
    ).toEqual([]);
    await refresher.releaseAll();
  });

  it('claims by reading about the rows it takes, however many connections are not due', async () => {
    // Stored as a sweep finds them between refreshes: thousands waiting for their window, some
    // backing off in it after a failure, some dead; and a few due.
    const bulk = `17849${Date.now() % 100_000}`;
    await test.sql(
      `INSERT INTO connections (ig_user_id, scopes, token_kind, status, token_ciphertext,
         token_key_id, token_issued_at, expires_at, next_refresh_at, refresh_attempts, updated_at)
       SELECT $1 || lpad(i::text, 6, '0'), ARRAY['instagram_business_basic'], 'long_lived',
         (CASE WHEN i % 10 = 0 THEN 'expired' ELSE 'active' END)::"ConnectionStatus",
         '\\x00'::bytea, 'medium', now() - interval '30 days',
         now() + (CASE WHEN i % 5 = 1 THEN interval '3 days' ELSE interval '50 days' END),
         now() + (CASE WHEN i % 5 = 1 THEN interval '1 hour' ELSE interval '40 days' END),
         (CASE WHEN i % 5 = 1 THEN 2 ELSE 0 END), now()
       FROM generate_series(1, 3000) AS i`,
      [bulk],
    );
    const due = [
      await storeConnection(test),
      await storeConnection(test),
      await storeConnection(test),
    ];
    await arrangeRefreshFacts(test, due[0], { nextRefreshInMs: -MINUTE_MS });
    await arrangeRefreshFacts(test, due[1], { issuedInMs: -25 * HOUR_MS, expiresInMs: 3 * DAY_MS });
    await arrangeRefreshFacts(test, due[2], {
      tokenKind: TokenKind.short_lived,
      nextRefreshInMs: -MINUTE_MS,
    });
    await test.sql('ANALYZE connections');
    try {
      const cutoffs = test.app.get(RefreshPolicy).dueCutoffs(new Date());
      const plan = await explainAnalyzed(CLAIM_DUE.text, [
        'replica-explained',
        60,
        cutoffs.now.toISOString(),
        cutoffs.expiringBefore.toISOString(),
        cutoffs.issuedBefore.toISOString(),
        16,
      ]);
      // Each row a scan of connections returned or filtered out; the pre-index claim read 3,003.
      expect(rowsReadFrom(plan, 'connections')).toBeLessThan(40);
      const claimed = await test.app.get(TokenRefresher).claimDue(16);
      const mine = claimed
        .map((connection) => connection.igUserId)
        .filter((igUserId) => due.includes(igUserId) || igUserId.startsWith(bulk));
      expect(mine.sort()).toEqual([...due].sort());
    } finally {
      await test.app.get(TokenRefresher).releaseAll();
      await test.sql('DELETE FROM connections WHERE ig_user_id LIKE $1', [`${bulk}%`]);
    }
  });

  /** EXPLAIN ANALYZE's plan of a statement, run in a transaction rolled back after. */
  async function explainAnalyzed(text: string, values: unknown[]): Promise<PlanNode> {
    const client = await test.app.get(DatabasePool).pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
        values,
      );
      return rows[0]['QUERY PLAN'][0].Plan;
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  }

  it('lists and counts connections by the status callers see, as effectiveStatus says', async () => {
    const arranged = {
      active: {},
      activeWithoutExpiry: { expiresInMs: null },
      lapsedWhileActive: { expiresInMs: -MINUTE_MS },
      expired: { status: ConnectionStatus.expired },
      invalid: { status: ConnectionStatus.invalid },
      revoked: { status: ConnectionStatus.revoked },
    };
    const ids: string[] = [];
    for (const facts of Object.values(arranged)) {
      const igUserId = await storeConnection(test);
      await arrangeRefreshFacts(test, igUserId, facts);
      ids.push(igUserId);
    }
    const repository = test.app.get(ConnectionsRepository);
    const now = new Date();
    const mine = await records(ids);

    for (const status of Object.values(ConnectionStatus)) {
      const listed = (await repository.list({ status, limit: 100 }, now))
        .map((connection) => connection.igUserId)
        .filter((igUserId) => ids.includes(igUserId));
      const expected = mine
        .filter((record) => effectiveStatus(record, now) === status)
        .map((record) => record.igUserId);
      expect({ status, listed: listed.sort() }).toEqual({ status, listed: expected.sort() });
    }
    expect(mine.map((record) => effectiveStatus(record, now))).toEqual([
      ConnectionStatus.active,
      ConnectionStatus.active,
      ConnectionStatus.expired,
      ConnectionStatus.expired,
      ConnectionStatus.invalid,
      ConnectionStatus.revoked,
    ]);

    const everyone = await repository.list({ limit: 1000 }, now);
    const counted = await repository.countByEffectiveStatus(now);
    for (const status of Object.values(ConnectionStatus)) {
      const expected = everyone.filter((record) => effectiveStatus(record, now) === status).length;
      expect({ status, count: counted.get(status) }).toEqual({ status, count: expected });
    }
  });

  it('refuses an on-demand refresh Instagram would refuse, and hands its lease back', async () => {
    const young = await storeConnection(test);
    const refresher = test.app.get(TokenRefresher);

    const refusal = await refresher.refreshNow(young).catch((error: unknown) => error);

    expect(refusal).toBeInstanceOf(AppError);
    expect((refusal as AppError).code).toBe(ErrorCode.RefreshNotAllowed);
    expect((await heldLeases(test)).map((row) => row.ig_user_id)).not.toContain(young);
  });

  it("erases an account across owners in the caller's transaction, or not at all", async () => {
    const igUserId = await storeConnection(test);
    await test.app.get(TokenRevealsRepository).record(igUserId, 'medium');
    const tokens = test.app.get(TokensService);
    const transactions = test.app.get(Transactions);

    const failed = transactions.run(async (tx) => {
      await tokens.eraseAccount(igUserId, aSecondFromNow(), tx);
      throw new Error('the next owner failed');
    });

    await expect(failed).rejects.toThrow('the next owner failed');
    expect((await connectionRow(test, igUserId))?.status).toBe('active');
    expect(await revealAudit(test, igUserId)).toEqual(['medium']);
    expect((await eventRows(test, igUserId)).map((row) => row.type)).toEqual([
      'connection.created',
    ]);

    expect(
      await transactions.run((tx) => tokens.eraseAccount(igUserId, aSecondFromNow(), tx)),
    ).toEqual({ changed: 1, consentedSince: [] });

    expect(await connectionRow(test, igUserId)).toBeUndefined();
    expect(await revealAudit(test, igUserId)).toEqual([]);
    expect((await eventRows(test, igUserId)).map((row) => row.type)).toEqual([
      'connection.deleted',
    ]);
  });
});

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** How many rows the plan's scans of `table` produced or filtered out, over all their loops. */
function rowsReadFrom(node: PlanNode, table: string): number {
  const own =
    node['Relation Name'] === table
      ? ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0)) *
        (node['Actual Loops'] ?? 1)
      : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsReadFrom(child, table), 0);
}

/** A Meta request's time after every consent so far: it acts on all of them. */
function aSecondFromNow(): Date {
  return new Date(Date.now() + 1000);
}
