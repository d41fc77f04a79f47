import type { Response } from 'supertest';
import { expectProblem } from './support/assertions.js';
import {
  allConnectionIds,
  connectionRow,
  makeDue,
  passNextRefresh,
} from './support/connections.js';
import { storedHolds } from './support/holds.js';
import { callbackPath, connectAccount, consent, startFlow } from './support/oauth.js';
import { sweep } from './support/refresh.js';
import { API_KEY, bearer, callsTo, type TestApp, useAppsPerTest } from './support/test-app.js';

function expectRateLimited(response: Response, seconds: { min: number; max: number }): void {
  expectProblem(response, 429, 'instagram_rate_limited');
  const retryAfter = Number(response.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(seconds.min);
  expect(retryAfter).toBeLessThanOrEqual(seconds.max);
}

const readUser = (test: TestApp, igUserId: string) =>
  test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead));

describe("Instagram's rate limits are obeyed", () => {
  const { start } = useAppsPerTest();

  it('holds the whole app after code 4 (60 s when Instagram gives no time): no call to any account', async () => {
    const test = await start();
    const first = await connectAccount(test);
    const second = await connectAccount(test);
    test.emulator.resetCalls();
    test.emulator.injectFault({ operation: 'me', kind: 'rate_limited', code: 4 });

    expectRateLimited(await readUser(test, first.igUserId), { min: 59, max: 60 });
    expect(callsTo(test, 'me').length).toBe(1);

    for (const igUserId of [first.igUserId, second.igUserId, first.igUserId]) {
      expectRateLimited(await readUser(test, igUserId), { min: 1, max: 60 });
    }
    expect(callsTo(test, 'me').length).toBe(1);
  });

  it("holds for Instagram's Retry-After on an HTTP 429, however long", async () => {
    const test = await start();
    const { igUserId } = await connectAccount(test);
    test.emulator.resetCalls();
    test.emulator.injectFault({
      operation: 'me',
      kind: 'rate_limited',
      code: 4,
      status: 429,
      retryAfterSeconds: 420,
    });

    expectRateLimited(await readUser(test, igUserId), { min: 419, max: 420 });
    expectRateLimited(await readUser(test, igUserId), { min: 410, max: 420 });
    expect(callsTo(test, 'me').length).toBe(1);
  });

  it.each([17, 32, 613, 80002])(
    'holds one account after code %i for estimated_time_to_regain_access; others are still read',
    async (code) => {
      const test = await start();
      const throttled = await connectAccount(test);
      const other = await connectAccount(test);
      test.emulator.resetCalls();
      test.emulator.injectFault({ operation: 'me', kind: 'rate_limited', code, regainMinutes: 30 });

      expectRateLimited(await readUser(test, throttled.igUserId), { min: 1799, max: 1800 });
      expectRateLimited(await readUser(test, throttled.igUserId), { min: 1790, max: 1800 });
      expect(callsTo(test, 'me').length).toBe(1);

      expect((await readUser(test, other.igUserId)).status).toBe(200);
      expect(callsTo(test, 'me').length).toBe(2);
    },
  );

  it('holds an account whose usage header says it is spent, even on an answer that went through', async () => {
    const test = await start();
    const spent = await connectAccount(test);
    test.emulator.usage = { account: { callCount: 100, regainMinutes: 10 } };
    expect((await readUser(test, spent.igUserId)).status).toBe(200);
    test.emulator.resetCalls();

    expectRateLimited(await readUser(test, spent.igUserId), { min: 590, max: 600 });
    expect(callsTo(test, 'me').length).toBe(0);
  });

  it('shares a hold between replicas through the database', async () => {
    const first = await start();
    const second = await start({}, first);
    const { igUserId } = await connectAccount(first);
    expect((await readUser(second, igUserId)).status).toBe(200);
    first.emulator.injectFault({ operation: 'me', kind: 'rate_limited', code: 4 });

    expectRateLimited(await readUser(first, igUserId), { min: 59, max: 60 });
    // Each replica reads the shared holds again at most a second after its last look.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    first.emulator.resetCalls();

    expectRateLimited(await readUser(second, igUserId), { min: 50, max: 60 });
    expect(callsTo(first, 'me').length).toBe(0);
    const [hold] = await storedHolds(first);
    expect(hold.scope).toBe('app');
    expect(hold.reason).not.toMatch(/IGAA|access_token/);
  });

  it('answers the code exchange 429 while the app is held, without sending the code', async () => {
    const test = await start();
    const flow = async () => {
      const started = await startFlow(test);
      return consent(started.url);
    };
    const first = await flow();
    test.emulator.injectFault({ operation: 'exchange_code', kind: 'rate_limited', status: 429 });
    expectRateLimited(await test.http.get(callbackPath(first)), { min: 59, max: 60 });
    expect(callsTo(test, 'exchange_code').length).toBe(1);

    const second = await flow();
    expectRateLimited(await test.http.get(callbackPath(second)), { min: 1, max: 60 });
    expect(callsTo(test, 'exchange_code').length).toBe(1);
    expect(await allConnectionIds(test)).toEqual([]);
  });

  it('stops the sweep while the whole app is held, leaving the rest due and unleased', async () => {
    // One at a time, so the second refresh would start after the first one's answer.
    const test = await start({ REFRESH_CONCURRENCY: '1' });
    const ids = [(await connectAccount(test)).igUserId, (await connectAccount(test)).igUserId];
    await makeDue(test, ids);
    test.emulator.resetCalls();
    test.emulator.injectFault({ operation: 'refresh', kind: 'rate_limited', code: 4 });
    const sweptAt = Date.now();

    const report = await sweep(test);

    expect(report).toMatchObject({ refreshed: 0, failed: 1 });
    expect(callsTo(test, 'refresh').length).toBe(1);
    const rows = await Promise.all(ids.map(async (id) => (await connectionRow(test, id))!));
    const throttled = rows.find((row) => row.refresh_attempts === 1)!;
    const untouched = rows.find((row) => row.refresh_attempts === 0)!;
    expect(throttled.next_refresh_at!.getTime() - sweptAt).toBeGreaterThanOrEqual(59 * 1000);
    expect(untouched.lease_owner).toBeNull();
    expect(untouched.status).toBe('active');

    for (const igUserId of ids) {
      await passNextRefresh(test, igUserId);
    }
    expect(await sweep(test)).toMatchObject({ refreshed: 0, failed: 0 });
    expect(callsTo(test, 'refresh').length).toBe(1);
  });

  it("moves a held account's refresh to the end of its hold, calling nothing, and refreshes the others", async () => {
    const test = await start({ REFRESH_CONCURRENCY: '1' });
    const ids = [(await connectAccount(test)).igUserId, (await connectAccount(test)).igUserId];
    await makeDue(test, ids);
    test.emulator.resetCalls();
    test.emulator.injectFault({
      operation: 'refresh',
      kind: 'rate_limited',
      code: 17,
      regainMinutes: 30,
    });

    expect(await sweep(test)).toMatchObject({ refreshed: 1, failed: 1 });
    expect(callsTo(test, 'refresh').length).toBe(2);
    const rows = await Promise.all(ids.map(async (id) => (await connectionRow(test, id))!));
    const held = rows.find((row) => row.refresh_attempts === 1)!;
    const sweptAt = Date.now();
    expect(held.next_refresh_at!.getTime() - sweptAt).toBeGreaterThanOrEqual(29 * 60 * 1000);

    // Made due again inside the hold: moved to the hold's end again, and not sent.
    await passNextRefresh(test, held.ig_user_id);
    expect(await sweep(test)).toMatchObject({ refreshed: 0, failed: 1 });
    expect(callsTo(test, 'refresh').length).toBe(2);
    const again = (await connectionRow(test, held.ig_user_id))!;
    expect(again.next_refresh_at!.getTime() - Date.now()).toBeGreaterThanOrEqual(29 * 60 * 1000);
  });

  it('shows the hold and the last usage Instagram reported in /metrics', async () => {
    const test = await start();
    const { igUserId } = await connectAccount(test);
    test.emulator.usage = { app: { callCount: 93, totalTime: 40, totalCputime: 12 } };
    expect((await readUser(test, igUserId)).status).toBe(200);
    test.emulator.injectFault({ operation: 'me', kind: 'rate_limited', retryAfterSeconds: 300 });
    await readUser(test, igUserId);

    const metrics = (await test.http.get('/metrics').expect(200)).text;
    const holdSeconds = /^vault_instagram_rate_limit_hold_seconds (\S+)$/m.exec(metrics)?.[1];
    expect(Number(holdSeconds)).toBeGreaterThan(250);
    expect(metrics).toMatch(
      /^vault_instagram_usage_percent\{header="app",figure="call_count"\} 100$/m,
    );
    expect(metrics).toMatch(
      /^vault_instagram_calls_total\{operation="me",outcome="rate_limited"\} 1$/m,
    );
  });
});
