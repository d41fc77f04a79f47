import { heldLeases, makeDue } from './support/connections.js';
import { connectAccount } from './support/oauth.js';
import { claimDueAs, leaseOwnerOf, sweep as sweepOnce } from './support/refresh.js';
import { API_KEY, listenOnLoopback, startTestApp, type TestApp } from './support/test-app.js';

describe('graceful shutdown', () => {
  let test: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    test = await startTestApp();
    baseUrl = await listenOnLoopback(test);
  });

  afterAll(async () => {
    await test.close().catch(() => undefined);
  });

  it('finishes every accepted request and a running sweep, hands back its leases, then refuses new ones', async () => {
    const { igUserId } = await connectAccount(test);
    const due = await connectAccount(test);
    await makeDue(test, [due.igUserId]);
    test.emulator.injectFault({ operation: 'me', kind: 'delay', ms: 800 }, 8);
    test.emulator.injectFault({ operation: 'refresh', kind: 'delay', ms: 800 });

    const inFlight = Array.from({ length: 8 }, () =>
      fetch(`${baseUrl}/users/${igUserId}`, {
        headers: { authorization: `Bearer ${API_KEY.usersRead}` },
      }).then((response) => response.status),
    );
    const sweep = sweepOnce(test);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // A row claimed by this replica but not being worked on, as after a cut-short batch.
    const idle = await connectAccount(test);
    await makeDue(test, [idle.igUserId]);
    const owner = leaseOwnerOf(test);
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
    expect(await heldLeases(test)).toEqual([]);
  });
});
