import type { EmulatorFault } from '../src/emulator/instagram-emulator.js';
import type { ConnectionDto } from '../src/tokens/dto/connection.dto.js';
import { TokenRefresher } from '../src/tokens/token-refresher.js';
import {
  ageToken,
  bringEndNear,
  connectionRow,
  expireLeasesOf,
  expireToken,
  heldLeases,
  leases,
  makeDue,
  passNextRefresh,
} from './support/connections.js';
import { connectAccount, connectMany } from './support/oauth.js';
import { allEvents } from './support/outbox.js';
import { claimDueAs, sweep } from './support/refresh.js';
import { startTestApp, type TestApp, useTestApp } from './support/test-app.js';
import { getConnection, revealToken } from './support/vault-api.js';

const SECOND_MS = 1000;
const DAY_MS = 24 * 60 * 60 * SECOND_MS;

/** How many refresh calls Instagram received for each token (each call carries the old token). */
function refreshCallsByToken(test: TestApp): Map<string, number> {
  const counts = new Map<string, number>();
  for (const call of test.emulator.calls) {
    if (call.operation === 'refresh' && call.accessToken !== undefined) {
      counts.set(call.accessToken, (counts.get(call.accessToken) ?? 0) + 1);
    }
  }
  return counts;
}

function refreshCallsFor(test: TestApp, accessToken: string): number {
  return refreshCallsByToken(test).get(accessToken) ?? 0;
}

/** A token just refreshed: 60 days to live, refreshed now, next refresh seven days before its end. */
function expectFreshlyRefreshed(connection: ConnectionDto, sweptAfter: number): void {
  expect(connection.status).toBe('active');
  expect(connection.tokenKind).toBe('long_lived');
  expect(connection.refreshAttempts).toBe(0);
  expect(connection.lastRefreshError).toBeNull();
  expect(Date.parse(connection.lastRefreshedAt as string)).toBeGreaterThanOrEqual(
    sweptAfter - SECOND_MS,
  );
  const expiresAt = Date.parse(connection.expiresAt as string);
  expect(expiresAt - Date.now()).toBeGreaterThan(59 * DAY_MS);
  expect(expiresAt - Date.parse(connection.nextRefreshAt as string)).toBe(7 * DAY_MS);
}

describe('Scheduled refresh', () => {
  describe('on two replicas sharing one database', () => {
    const test = useTestApp();

    it('sends each of 24 due tokens to Instagram exactly once when both replicas sweep at the same time', async () => {
      const igUserIds = await connectMany(test, 24);
      const oldTokens = new Map<string, string>();
      for (const igUserId of igUserIds) {
        oldTokens.set(igUserId, await revealToken(test, igUserId));
      }
      await makeDue(test, igUserIds);
      const replica = await startTestApp({}, { peer: test });
      try {
        expect(replica.app.get(TokenRefresher).owner).not.toBe(test.app.get(TokenRefresher).owner);
        // Slow answers keep both sweeps in flight together, so they really compete for rows.
        test.emulator.injectFault({ operation: 'refresh', kind: 'delay', ms: 150 }, 24);
        const sweptAfter = Date.now();

        const [first, second] = await Promise.all([sweep(test), sweep(replica)]);

        expect(first.refreshed + second.refreshed).toBe(24);
        expect(first.failed + second.failed).toBe(0);
        expect(first.refreshed).toBeGreaterThan(0);
        expect(second.refreshed).toBeGreaterThan(0);
        const calls = refreshCallsByToken(test);
        expect([...calls.keys()].sort()).toEqual([...oldTokens.values()].sort());
        expect([...calls.values()].every((count) => count === 1)).toBe(true);
        expect(
          test.emulator.calls.filter((call) => call.operation === 'refresh' && call.status !== 200),
        ).toEqual([]);

        for (const igUserId of igUserIds) {
          const oldToken = oldTokens.get(igUserId) as string;
          const newToken = await revealToken(replica, igUserId);
          expect(newToken).not.toBe(oldToken);
          expect(test.emulator.inspectToken(newToken)).toMatchObject({
            kind: 'long_lived',
            userId: igUserId,
            revoked: false,
          });
          expectFreshlyRefreshed(await getConnection(test, igUserId), sweptAfter);
        }
        expect(await heldLeases(test)).toEqual([]);
      } finally {
        await replica.close();
      }
    });

    it('refreshes the tokens a dead replica had claimed once its lease runs out, each exactly once', async () => {
      const igUserIds = (await connectMany(test, 5)).sort();
      const oldTokens = await Promise.all(igUserIds.map((igUserId) => revealToken(test, igUserId)));
      await makeDue(test, igUserIds);
      const deadOwner = test.app.get(TokenRefresher).owner;

      // Replica A claims the rows as its sweep would, then "dies" before refreshing any.
      const claimed = await claimDueAs(test, deadOwner, 60000, 100);
      expect(claimed.map((connection) => connection.igUserId).sort()).toEqual(igUserIds);
      const held = await leases(test, igUserIds);
      for (const row of held) {
        expect(row.lease_owner).toBe(deadOwner);
        const leaseLeftMs = (row.lease_expires_at as Date).getTime() - Date.now();
        expect(leaseLeftMs).toBeGreaterThan(50 * SECOND_MS);
        expect(leaseLeftMs).toBeLessThanOrEqual(60 * SECOND_MS);
      }

      const replica = await startTestApp({}, { peer: test });
      try {
        const whileLeased = await sweep(replica);
        expect(whileLeased).toMatchObject({ refreshed: 0, failed: 0 });
        expect(refreshCallsByToken(test).size).toBe(0);
        expect((await leases(test, igUserIds)).map((row) => row.lease_owner)).toEqual(
          igUserIds.map(() => deadOwner),
        );

        await expireLeasesOf(test, deadOwner);
        const sweptAfter = Date.now();
        const afterLease = await sweep(replica);

        expect(afterLease).toMatchObject({ refreshed: 5, failed: 0 });
        const calls = refreshCallsByToken(test);
        expect([...calls.keys()].sort()).toEqual([...oldTokens].sort());
        expect([...calls.values()]).toEqual([1, 1, 1, 1, 1]);
        for (const [index, igUserId] of igUserIds.entries()) {
          expect(await revealToken(replica, igUserId)).not.toBe(oldTokens[index]);
          expectFreshlyRefreshed(await getConnection(test, igUserId), sweptAfter);
        }
        expect(
          (await leases(test, igUserIds)).every(
            (row) => row.lease_owner === null && row.lease_expires_at === null,
          ),
        ).toBe(true);

        expect(await sweep(replica)).toMatchObject({ refreshed: 0, failed: 0 });
        expect(refreshCallsByToken(test).size).toBe(5);
      } finally {
        await replica.close();
      }
    });
  });

  describe('with REFRESH_CONCURRENCY=2', () => {
    const test = useTestApp({ REFRESH_CONCURRENCY: '2' });

    it('keeps at most 2 refresh calls in flight: six 300 ms refreshes take at least 900 ms', async () => {
      const igUserIds = await connectMany(test, 6);
      await makeDue(test, igUserIds);
      test.emulator.injectFault({ operation: 'refresh', kind: 'delay', ms: 300 }, 6);
      const startedAt = Date.now();

      const report = await sweep(test);

      const elapsedMs = Date.now() - startedAt;
      expect(report).toMatchObject({ refreshed: 6, failed: 0, expired: 0 });
      expect(report.durationMs).toBeGreaterThanOrEqual(890);
      expect(elapsedMs).toBeGreaterThanOrEqual(890);
      // With at most two in flight, any third call arrives only after an earlier one ended.
      const arrivals = test.emulator.calls
        .filter((call) => call.operation === 'refresh')
        .map((call) => call.at)
        .sort((a, b) => a - b);
      expect(arrivals).toHaveLength(6);
      for (let i = 2; i < arrivals.length; i += 1) {
        expect(arrivals[i] - arrivals[i - 2]).toBeGreaterThanOrEqual(290);
      }
    });
  });

  describe('failures, expiry and what is not due', () => {
    const test = useTestApp();

    it('marks a connection invalid on a 190 and never sends its token to Instagram again', async () => {
      const { igUserId } = await connectAccount(test);
      const token = await revealToken(test, igUserId);
      await makeDue(test, [igUserId]);
      test.emulator.revokeAccount(igUserId);

      const report = await sweep(test);

      expect(report).toMatchObject({ refreshed: 0, failed: 1 });
      expect(refreshCallsFor(test, token)).toBe(1);
      const connection = await getConnection(test, igUserId);
      expect(connection.status).toBe('invalid');
      expect(connection.lastRefreshError).toMatch(/190/);
      expect(connection.lastRefreshError).not.toContain(token);
      expect(connection.lastRefreshErrorAt).not.toBeNull();
      expect(connection.nextRefreshAt).toBeNull();
      const row = await connectionRow(test, igUserId);
      expect({ next_refresh_at: row?.next_refresh_at, lease_owner: row?.lease_owner }).toEqual({
        next_refresh_at: null,
        lease_owner: null,
      });

      await passNextRefresh(test, igUserId);
      expect(await sweep(test)).toMatchObject({ refreshed: 0, failed: 0 });
      expect(await sweep(test)).toMatchObject({ refreshed: 0, failed: 0 });
      expect(refreshCallsFor(test, token)).toBe(1);
      expect((await getConnection(test, igUserId)).status).toBe('invalid');
    });

    // The emulator records the calls it answered; the timed-out one is hung up on first.
    it.each<[string, EmulatorFault, number]>([
      ['a 500 graph error (code 2)', { operation: 'refresh', kind: 'transient' }, 1],
      ['a 503 HTML page', { operation: 'refresh', kind: 'unavailable' }, 1],
      [
        'no answer within INSTAGRAM_TIMEOUT_MS (2 s)',
        { operation: 'refresh', kind: 'delay', ms: 2500 },
        0,
      ],
    ])(
      'keeps the connection active after %s, backs off at least 30 s, and succeeds on a later sweep',
      async (_label, fault, answered) => {
        const { igUserId } = await connectAccount(test);
        const token = await revealToken(test, igUserId);
        await makeDue(test, [igUserId]);
        test.emulator.injectFault(fault);

        const failed = await sweep(test);
        const failedAt = Date.now();

        expect(failed).toMatchObject({ refreshed: 0, failed: 1 });
        expect(refreshCallsFor(test, token)).toBe(answered);
        const connection = await getConnection(test, igUserId);
        expect(connection.status).toBe('active');
        expect(connection.refreshAttempts).toBe(1);
        expect(connection.lastRefreshError).toEqual(expect.any(String));
        expect(connection.lastRefreshError).not.toContain(token);
        expect(connection.lastRefreshError).not.toContain(test.appSecret);
        expect(connection.lastRefreshError).not.toMatch(/IGAA/);
        expect(connection.lastRefreshErrorAt).not.toBeNull();
        expect(Date.parse(connection.nextRefreshAt as string) - failedAt).toBeGreaterThanOrEqual(
          29 * SECOND_MS,
        );
        expect(
          test.logs.some(
            (line) => line.includes('token refresh failed') && line.includes(igUserId),
          ),
        ).toBe(true);
        expect(test.logs.join('\n')).not.toContain(token);
        expect(test.logs.join('\n')).not.toContain(test.appSecret);

        // Not a tight loop: sweeping again at once leaves it alone.
        expect(await sweep(test)).toMatchObject({ refreshed: 0, failed: 0 });
        expect(refreshCallsFor(test, token)).toBe(answered);
        expect((await getConnection(test, igUserId)).refreshAttempts).toBe(1);

        await passNextRefresh(test, igUserId);
        const sweptAfter = Date.now();
        expect(await sweep(test)).toMatchObject({ refreshed: 1, failed: 0 });

        expect(refreshCallsFor(test, token)).toBe(answered + 1);
        const recovered = await getConnection(test, igUserId);
        expectFreshlyRefreshed(recovered, sweptAfter);
        expect(recovered.lastRefreshErrorAt).toBeNull();
        expect(await revealToken(test, igUserId)).not.toBe(token);
      },
    );

    it('backs off longer after a second transient failure in a row', async () => {
      const { igUserId } = await connectAccount(test);
      await makeDue(test, [igUserId]);
      const delays: number[] = [];
      for (const attempt of [1, 2]) {
        test.emulator.injectFault({ operation: 'refresh', kind: 'transient' });
        expect(await sweep(test)).toMatchObject({ refreshed: 0, failed: 1 });
        const connection = await getConnection(test, igUserId);
        expect(connection.refreshAttempts).toBe(attempt);
        delays.push(
          Date.parse(connection.nextRefreshAt as string) -
            Date.parse(connection.lastRefreshErrorAt as string),
        );
        await passNextRefresh(test, igUserId);
      }

      expect(delays[0]).toBeGreaterThanOrEqual(29 * SECOND_MS);
      expect(delays[1]).toBeGreaterThan(delays[0]);
      expect(await sweep(test)).toMatchObject({ refreshed: 1, failed: 0 });
      expect((await getConnection(test, igUserId)).refreshAttempts).toBe(0);
    });

    it('upgrades a short-lived token whose long-lived exchange failed at connect, once its grace has passed', async () => {
      test.emulator.injectFault({ operation: 'exchange_long_lived', kind: 'transient' });
      const { igUserId } = await connectAccount(test);
      const shortLived = await revealToken(test, igUserId);
      const before = await getConnection(test, igUserId);
      expect(before).toMatchObject({ tokenKind: 'short_lived', status: 'active' });
      expect(test.emulator.inspectToken(shortLived)?.kind).toBe('short_lived');
      const graceMs = Date.parse(before.nextRefreshAt as string) - Date.now();
      expect(graceMs).toBeGreaterThan(30 * SECOND_MS);
      expect(graceMs).toBeLessThanOrEqual(60 * SECOND_MS);

      expect(await sweep(test)).toMatchObject({ refreshed: 0, failed: 0 });
      const exchanges = () =>
        test.emulator.calls.filter(
          (call) => call.operation === 'exchange_long_lived' && call.accessToken === shortLived,
        ).length;
      expect(exchanges()).toBe(1);

      await passNextRefresh(test, igUserId);
      const sweptAfter = Date.now();
      expect(await sweep(test)).toMatchObject({ refreshed: 1, failed: 0 });

      expect(exchanges()).toBe(2);
      expectFreshlyRefreshed(await getConnection(test, igUserId), sweptAfter);
      const longLived = await revealToken(test, igUserId);
      expect(longLived).not.toBe(shortLived);
      expect(test.emulator.inspectToken(longLived)?.kind).toBe('long_lived');
    });

    it('marks an active connection past its expiry expired without sending it to Instagram', async () => {
      const { igUserId } = await connectAccount(test);
      const token = await revealToken(test, igUserId);
      await makeDue(test, [igUserId]);
      await expireToken(test, igUserId);

      const report = await sweep(test);

      expect(report).toMatchObject({ expired: 1, refreshed: 0, failed: 0 });
      expect(refreshCallsFor(test, token)).toBe(0);
      expect(test.emulator.calls.filter((call) => call.operation === 'refresh')).toEqual([]);
      expect((await connectionRow(test, igUserId))?.status).toBe('expired');
      const connection = await getConnection(test, igUserId);
      expect(connection.status).toBe('expired');
      expect(connection.nextRefreshAt).toBeNull();

      expect(await sweep(test)).toMatchObject({ expired: 0, refreshed: 0, failed: 0 });
    });

    it('leaves alone tokens that are not due: fresh, old but far from expiry, near expiry but younger than 24 h', async () => {
      const [fresh, oldFarFromEnd, youngNearEnd] = await connectMany(test, 3);
      await ageToken(test, oldFarFromEnd);
      await bringEndNear(test, youngNearEnd);
      const ids = [fresh, oldFarFromEnd, youngNearEnd];
      const tokensBefore = await Promise.all(ids.map((igUserId) => revealToken(test, igUserId)));
      const connectionsBefore = await Promise.all(
        ids.map((igUserId) => getConnection(test, igUserId)),
      );

      const report = await sweep(test);

      expect(report).toMatchObject({ expired: 0, refreshed: 0, failed: 0 });
      expect(test.emulator.calls.filter((call) => call.operation === 'refresh')).toEqual([]);
      expect(await Promise.all(ids.map((igUserId) => revealToken(test, igUserId)))).toEqual(
        tokensBefore,
      );
      expect(await Promise.all(ids.map((igUserId) => getConnection(test, igUserId)))).toEqual(
        connectionsBefore,
      );
    });

    it('writes no webhook events for created, refreshed, invalid or expired when WEBHOOK_URL is unset', async () => {
      expect(test.config.webhook).toBeUndefined();
      const [refreshed, invalid, expired] = await connectMany(test, 3);
      await makeDue(test, [refreshed, invalid, expired]);
      test.emulator.revokeAccount(invalid);
      await expireToken(test, expired);

      expect(await sweep(test)).toMatchObject({ expired: 1, refreshed: 1, failed: 1 });

      expect((await getConnection(test, invalid)).status).toBe('invalid');
      expect((await getConnection(test, expired)).status).toBe('expired');
      expect((await getConnection(test, refreshed)).lastRefreshedAt).not.toBeNull();
      expect(await allEvents(test)).toEqual([]);
    });
  });
});
