import { createHash, randomBytes } from 'node:crypto';
import type { EmulatorAccount } from '../../src/emulator/instagram-emulator.js';
import { API_KEY, bearer, type TestApp } from './test-app.js';

/** Presses Allow (or Deny) on the emulator's consent page; answers the redirect back to us. */
export async function consent(
  authorizeUrl: string,
  options: { decision?: 'allow' | 'deny'; username?: string } = {},
): Promise<URL> {
  const url = new URL(authorizeUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', options.decision ?? 'allow');
  form.set('username', options.username ?? `user_${randomBytes(4).toString('hex')}`);
  const response = await fetch(`${url.origin}/oauth/authorize`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  const location = response.headers.get('location');
  if (response.status !== 302 || location === null) {
    throw new Error(`consent answered ${response.status}: ${await response.text()}`);
  }
  return new URL(location);
}

/** The path and query of Instagram's redirect, as our app receives it (no fragment). */
export function callbackPath(redirect: URL): string {
  return `${redirect.pathname}${redirect.search}`;
}

/** Starts a flow through the API (POST /auth/instagram/authorization-urls). */
export async function startFlow(
  test: TestApp,
  body: Record<string, unknown> = {},
): Promise<{ url: string; state: string }> {
  const response = await test.http
    .post('/auth/instagram/authorization-urls')
    .set(bearer(API_KEY.tokensWrite))
    .send(body)
    .expect(201);
  return response.body as { url: string; state: string };
}

/**
 * A flow started, consented by a fresh account, and Instagram's redirect not yet delivered;
 * the emulator's recorded calls are cleared, so a test sees only what the callback does.
 */
export async function consentedFlow(
  test: TestApp,
  body: Record<string, unknown> = {},
): Promise<{ account: EmulatorAccount; state: string; redirect: URL }> {
  const account = test.emulator.createAccount();
  const { url, state } = await startFlow(test, body);
  const redirect = await consent(url, { username: account.username });
  test.emulator.resetCalls();
  return { account, state, redirect };
}

/** Starts a flow through the API, consents, and completes the callback; answers the connection. */
export async function connectAccount(
  test: TestApp,
  options: { ownerId?: string; username?: string } = {},
): Promise<{ igUserId: string; body: Record<string, unknown>; code: string }> {
  const started = await startFlow(
    test,
    options.ownerId === undefined ? {} : { ownerId: options.ownerId },
  );
  const redirect = await consent(started.url, { username: options.username });
  const code = redirect.searchParams.get('code') as string;
  const callback = await test.http.get(callbackPath(redirect)).expect(200);
  return { igUserId: callback.body.igUserId as string, body: callback.body, code };
}

/** Connects `count` fresh accounts at once; answers their ids. */
export async function connectMany(test: TestApp, count: number): Promise<string[]> {
  const connected = await Promise.all(
    Array.from({ length: count }, () => connectAccount(test).then((result) => result.igUserId)),
  );
  expect(new Set(connected).size).toBe(count);
  return connected;
}

/** How the service stores a state: only its SHA-256. */
function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

/** How many flows are stored (oauth_states rows). */
export async function countStates(test: TestApp): Promise<number> {
  const [row] = await test.sql<{ n: number }>('SELECT count(*)::int AS n FROM oauth_states');
  return row.n;
}

/** When each stored row of this state runs out (one, or none), as ISO text. */
export async function stateExpiry(test: TestApp, state: string): Promise<string[]> {
  const rows = await test.sql<{ expires_at: Date }>(
    'SELECT expires_at FROM oauth_states WHERE state_hash = $1',
    [hashState(state)],
  );
  return rows.map((row) => row.expires_at.toISOString());
}

/** The flow's ten minutes are over. */
export async function expireState(test: TestApp, state: string): Promise<void> {
  await test.sql(
    "UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = $1",
    [hashState(state)],
  );
}
