import { AppError, ErrorCode } from '../src/common/app-error.js';
import { Transactions } from '../src/database/transactions.js';
import { ConnectionStatus, TokenKind } from '../src/tokens/connection.record.js';
import { ConnectionsRepository } from '../src/tokens/connections.repository.js';
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

/** A Meta request's time after every consent so far: it acts on all of them. */
function aSecondFromNow(): Date {
  return new Date(Date.now() + 1000);
}
