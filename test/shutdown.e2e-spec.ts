import { RefreshSweeper } from '../src/tokens/refresh.sweeper.js';
import { TokenRefresher } from '../src/tokens/token-refresher.js';
import { claimDueAs } from './support/refresh.js';
import { API_KEY, connectAccount, startTestApp, type TestApp } from './support/test-app.js';

describe('graceful shutdown', () => {
  let test: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    test = await startTestApp();
    await test.app.listen({ port: 0, host: '127.0.0.1' });
    const address = test.app.getHttpServer().address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await test.close().catch(() => undefined);
  });

  it('finishes every accepted request and a running sweep, hands back its leases, then refuses new ones', async () => {
    const { igUserId } = await connectAccount(test);
    const due = await connectAccount(test);
    await test.sql(
      `UPDATE connections SET token_issued_at = now() - interval '25 hours',
         next_refresh_at = now() - interval '1 second' WHERE ig_user_id = $1`,
      [due.igUserId],
    );
    test.emulator.advanceClock(25 * 60 * 60 * 1000);
    test.emulator.injectFault({ operation: 'me', kind: 'delay', ms: 800 }, 8);
    test.emulator.injectFault({ operation: 'refresh', kind: 'delay', ms: 800 });

    const inFlight = Array.from({ length: 8 }, () =>
      fetch(`${baseUrl}/users/${igUserId}`, {
        headers: { authorization: `Bearer ${API_KEY.usersRead}` },
      }).then((response) => response.status),
    );
    const sweep = test.app.get(RefreshSweeper).sweepOnce();
    await new Promise((resolve) => setTimeout(resolve, 300));

    // A row claimed by this replica but not being worked on, as after a cut-short batch.
    const idle = await connectAccount(test);
    await test.sql(
      `UPDATE connections SET token_issued_at = now() - interval '25 hours',
         next_refresh_at = now() - interval '1 second' WHERE ig_user_id = $1`,
      [idle.igUserId],
    );
    const owner = test.app.get(TokenRefresher).owner;
    const claimed = await claimDueAs(test, owner, 60_000, 10);
    expect(claimed.map((row) => row.igUserId)).toEqual([idle.igUserId]);

    const closing = test.app.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = await fetch(`${baseUrl}/health/live`).then(
      (response) => response.status,
      () => 'refused',
    );
    await closing;

    expect(await Promise.all(inFlight)).toEqual(Array(8).fill(200));
    expect(await sweep).toMatchObject({ refreshed: 1, failed: 0 });
    expect(['refused', 503]).toContain(late);
    const leased = await test.sql(
      `SELECT ig_user_id FROM connections WHERE lease_owner IS NOT NULL`,
    );
    expect(leased).toEqual([]);
  });
});
