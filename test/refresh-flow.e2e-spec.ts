import type { EmulatorCall } from '../src/emulator/instagram-emulator.js';
import { connectionRow, leases, makeDue } from './support/connections.js';
import { connectMany } from './support/oauth.js';
import { ReplicaLock } from '../src/database/replica-lock.js';
import { claimDueAs, sweep } from './support/refresh.js';
import { API_KEY, bearer, startTestApp, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait.js';

const refreshCalls = (test: TestApp): EmulatorCall[] =>
  test.emulator.calls.filter((call) => call.operation === 'refresh');

describe('the refresh sweep flows', () => {
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string>, peer?: TestApp) => {
    const test = await startTestApp(env, { peer });
    apps.push(test);
    return test;
  };

  afterEach(async () => {
    for (const test of apps.reverse()) {
      await test.close();
    }
    apps.length = 0;
  });

  it('lets a hanging call hold only its own worker: every other due token is refreshed meanwhile', async () => {
    const test = await start({ REFRESH_CONCURRENCY: '4', INSTAGRAM_TIMEOUT_MS: '10000' });
    const ids = await connectMany(test, 20);
    await makeDue(test, ids);
    test.emulator.resetCalls();
    // The first refresh to arrive hangs for three seconds; the others are answered at once.
    test.emulator.injectFault({ operation: 'refresh', kind: 'delay', ms: 3000 });

    expect(await sweep(test)).toMatchObject({ refreshed: 20, failed: 0 });

    // The emulator records a call when it answers: the first to arrive was answered last.
    const calls = refreshCalls(test);
    expect(calls).toHaveLength(20);
    const firstArrival = Math.min(...calls.map((call) => call.at));
    expect(calls[calls.length - 1].at).toBe(firstArrival);
  });

  it('takes back its own leases when it restarts under the same REPLICA_ID, and refreshes them at once', async () => {
    const first = await start({});
    const ids = await connectMany(first, 3);
    await makeDue(first, ids);
    // A replica named replica-a claimed them for an hour, then died without handing them back.
    expect(await claimDueAs(first, 'replica-a', 60 * 60 * 1000, 10)).toHaveLength(3);

    const other = await start({ REPLICA_ID: 'replica-b' }, first);
    expect(await sweep(other)).toMatchObject({ refreshed: 0 });

    const restarted = await start(
      { REPLICA_ID: 'replica-a', REFRESH_SWEEP_INTERVAL_MS: '3600000' },
      first,
    );
    await waitFor('the taken-back tokens to be refreshed', async () => {
      const rows = await Promise.all(ids.map((id) => connectionRow(first, id)));
      return rows.every((row) => row?.last_refreshed_at !== null);
    });
    expect((await leases(first, ids)).map((row) => row.lease_owner)).toEqual([null, null, null]);
    expect(restarted.logs.some((line) => line.includes('took back the refresh leases'))).toBe(true);
  });

  it('refuses to start a second live replica under a REPLICA_ID in use, with one line', async () => {
    const first = await start({ REPLICA_ID: 'replica-c' });
    await expect(startTestApp({ REPLICA_ID: 'replica-c' }, { peer: first })).rejects.toThrow(
      /^REPLICA_ID "replica-c" is in use by another running replica; give each replica its own$/,
    );
    await first.close();
    apps.length = 0;
    // Once the first is gone (or dead: its session dies with it), the id is free again.
    const again = await start({ REPLICA_ID: 'replica-c' });
    expect(again.app.get(ReplicaLock).held).toBe(true);
  });

  it('slows to one call a second while Instagram reports 90% or more of a budget spent', async () => {
    const test = await start({ REFRESH_CONCURRENCY: '4' });
    const ids = await connectMany(test, 3);
    await makeDue(test, ids);
    test.emulator.usage = { app: { callCount: 95, totalTime: 20, totalCputime: 20 } };
    await test.http.get(`/users/${ids[0]}`).set(bearer(API_KEY.usersRead)).expect(200);
    test.emulator.resetCalls();

    expect(await sweep(test)).toMatchObject({ refreshed: 3 });

    const arrivals = refreshCalls(test)
      .map((call) => call.at)
      .sort((a, b) => a - b);
    expect(arrivals).toHaveLength(3);
    for (let i = 1; i < arrivals.length; i++) {
      expect(arrivals[i] - arrivals[i - 1]).toBeGreaterThanOrEqual(900);
    }
  });

  it("refreshes at full concurrency while the app's usage is below 90%, whatever one account's", async () => {
    const test = await start({ REFRESH_CONCURRENCY: '4' });
    const ids = await connectMany(test, 4);
    await makeDue(test, ids);
    test.emulator.usage = { app: { callCount: 50 }, account: { callCount: 95 } };
    await test.http.get(`/users/${ids[0]}`).set(bearer(API_KEY.usersRead)).expect(200);
    test.emulator.resetCalls();
    test.emulator.injectFault({ operation: 'refresh', kind: 'delay', ms: 500 }, 4);

    const startedAt = Date.now();
    expect(await sweep(test)).toMatchObject({ refreshed: 4 });

    // Four half-second calls side by side: all four arrive before the first is answered.
    const calls = refreshCalls(test);
    const lastArrival = Math.max(...calls.map((call) => call.at));
    expect(lastArrival - Math.min(...calls.map((call) => call.at))).toBeLessThan(500);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(500);
  });
});
