import { createHash, randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import type { EmulatorAccount, ExchangeResponseShape } from '../src/emulator/instagram-emulator.js';
import {
  API_KEY,
  bearer,
  callbackPath,
  consent,
  connectAccount,
  REDIRECT_URI,
  RETURN_ORIGIN,
  useTestApp,
} from './support/test-app.js';

const BASIC = 'instagram_business_basic';
const MESSAGES = 'instagram_business_manage_messages';
const MINUTE_MS = 60 * 1000;

describe('OAuth failures', () => {
  const test = useTestApp();

  beforeEach(() => {
    test.emulator.exchangeShape = 'flat';
  });

  function expectProblem(response: Response, status: number, code: string): void {
    expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      status,
      code,
      type: expect.any(String),
      title: expect.any(String),
    });
  }

  async function startFlow(
    body: Record<string, unknown> = {},
  ): Promise<{ url: string; state: string }> {
    const response = await test.http
      .post('/auth/instagram/authorization-urls')
      .set(bearer(API_KEY.tokensWrite))
      .send(body)
      .expect(201);
    return response.body as { url: string; state: string };
  }

  /** A flow started, consented by a fresh account, and Instagram's redirect not yet delivered. */
  async function consentedFlow(
    body: Record<string, unknown> = {},
  ): Promise<{ account: EmulatorAccount; state: string; redirect: URL }> {
    const account = test.emulator.createAccount();
    const { url, state } = await startFlow(body);
    const redirect = await consent(url, { username: account.username });
    test.emulator.resetCalls();
    return { account, state, redirect };
  }

  async function connectionRows(igUserId: string): Promise<number> {
    const [row] = await test.sql<{ n: number }>(
      'SELECT count(*)::int AS n FROM connections WHERE ig_user_id = $1',
      [igUserId],
    );
    return row.n;
  }

  async function stateRows(): Promise<number> {
    const [row] = await test.sql<{ n: number }>('SELECT count(*)::int AS n FROM oauth_states');
    return row.n;
  }

  function callsTo(operation: string): number {
    return test.emulator.calls.filter((call) => call.operation === operation).length;
  }

  function hashState(state: string): string {
    return createHash('sha256').update(state, 'utf8').digest('hex');
  }

  function issueCode(account?: EmulatorAccount, scopes = [BASIC]): string {
    return test.emulator.issueCode({
      appId: test.appId,
      redirectUri: REDIRECT_URI,
      scopes,
      account,
    });
  }

  function expectAboutFromNow(iso: unknown, ms: number): void {
    const at = new Date(iso as string).getTime();
    expect(at).toBeGreaterThan(Date.now() + ms - MINUTE_MS);
    expect(at).toBeLessThan(Date.now() + ms + MINUTE_MS);
  }

  describe('GET /auth/instagram/authorize', () => {
    it('accepts a return_to on an allowed origin and sends the person back there', async () => {
      const account = test.emulator.createAccount();
      const returnTo = `${RETURN_ORIGIN}/instagram/done?tab=2`;
      const response = await test.http
        .get('/auth/instagram/authorize')
        .query({ return_to: returnTo })
        .expect(302);
      const redirect = await consent(response.headers.location, {
        username: account.username,
      });
      const callback = await test.http.get(callbackPath(redirect)).expect(302);
      const back = new URL(callback.headers.location);
      expect(`${back.origin}${back.pathname}`).toBe(`${RETURN_ORIGIN}/instagram/done`);
      expect(back.searchParams.get('tab')).toBe('2');
      expect(back.searchParams.get('status')).toBe('connected');
      expect(back.searchParams.get('ig_user_id')).toBe(account.userId);
    });

    it.each([
      ['a foreign origin', 'https://evil.test/done'],
      ['a look-alike host', 'https://app.test.evil.test/done'],
      ['the allowed host over another scheme', 'http://app.test/done'],
      ['a javascript: URL', 'javascript:alert(1)'],
    ])('refuses a return_to on %s without starting a flow', async (_, returnTo) => {
      const before = await stateRows();
      const response = await test.http
        .get('/auth/instagram/authorize')
        .query({ return_to: returnTo });
      expectProblem(response, 400, 'invalid_return_to');
      expect(response.headers.location).toBeUndefined();
      expect(await stateRows()).toBe(before);
    });

    it('refuses a return_to that is not an absolute URL without starting a flow', async () => {
      const before = await stateRows();
      const response = await test.http
        .get('/auth/instagram/authorize')
        .query({ return_to: '/done' });
      expectProblem(response, 400, 'invalid_return_to');
      expect(await stateRows()).toBe(before);
    });

    it('refuses an unknown query parameter without starting a flow', async () => {
      const before = await stateRows();
      const response = await test.http.get('/auth/instagram/authorize').query({ force: 'yes' });
      expectProblem(response, 400, 'validation_failed');
      expect(response.headers.location).toBeUndefined();
      expect(await stateRows()).toBe(before);
    });
  });

  describe('POST /auth/instagram/authorization-urls', () => {
    it('answers a url carrying a fresh state that expires in ten minutes', async () => {
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send({})
        .expect(201);
      expect(Object.keys(response.body as object).sort()).toEqual(['expiresAt', 'state', 'url']);
      const { url, state, expiresAt } = response.body as {
        url: string;
        state: string;
        expiresAt: string;
      };
      expect(new URL(url).searchParams.get('state')).toBe(state);
      expectAboutFromNow(expiresAt, 10 * MINUTE_MS);
      const rows = await test.sql<{ expires_at: Date }>(
        'SELECT expires_at FROM oauth_states WHERE state_hash = $1',
        [hashState(state)],
      );
      expect(rows.map((row) => row.expires_at.toISOString())).toEqual([expiresAt]);
    });

    it('carries the ownerId to the connection the flow creates', async () => {
      const { account, redirect } = await consentedFlow({ ownerId: 'customer-77' });
      const callback = await test.http.get(callbackPath(redirect)).expect(200);
      expect(callback.body).toMatchObject({ igUserId: account.userId, ownerId: 'customer-77' });
      const rows = await test.sql('SELECT owner_id FROM connections WHERE ig_user_id = $1', [
        account.userId,
      ]);
      expect(rows).toEqual([{ owner_id: 'customer-77' }]);
    });

    it('accepts an ownerId of exactly 255 characters', async () => {
      await startFlow({ ownerId: 'o'.repeat(255) });
    });

    it.each([
      ['an unknown field', { ownerId: 'customer-1', scope: 'instagram_business_content_publish' }],
      ['an empty ownerId', { ownerId: '' }],
      ['an ownerId over 255 characters', { ownerId: 'o'.repeat(256) }],
      ['a numeric ownerId', { ownerId: 42 }],
      ['a returnTo that is not a URL', { returnTo: 'somewhere nice' }],
      ['a returnTo that is not http(s)', { returnTo: 'ftp://app.test/done' }],
    ])('refuses %s without starting a flow', async (_, body) => {
      const before = await stateRows();
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send(body);
      expectProblem(response, 400, 'validation_failed');
      expect(await stateRows()).toBe(before);
    });

    it('refuses a returnTo on a foreign origin without starting a flow', async () => {
      const before = await stateRows();
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send({ returnTo: 'https://evil.test/done' });
      expectProblem(response, 400, 'invalid_return_to');
      expect(await stateRows()).toBe(before);
    });

    it('refuses a body that is not JSON', async () => {
      const before = await stateRows();
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .set('content-type', 'application/json')
        .send('{"ownerId": "customer-1"');
      expectProblem(response, 400, 'validation_failed');
      expect(await stateRows()).toBe(before);
    });

    it('refuses a body over 16 KiB', async () => {
      const before = await stateRows();
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send({ ownerId: 'o'.repeat(17 * 1024) });
      expectProblem(response, 413, 'payload_too_large');
      expect(await stateRows()).toBe(before);
    });
  });

  describe.each([
    ['POST /auth/instagram/authorization-urls', '/auth/instagram/authorization-urls'],
    ['POST /auth/instagram/token', '/auth/instagram/token'],
  ])('%s API key', (_, path) => {
    const body = (): Record<string, string> =>
      path.endsWith('/token') ? { code: issueCode() } : { ownerId: 'customer-1' };

    it('refuses a request without a key, asking for a bearer token', async () => {
      const before = await stateRows();
      const response = await test.http.post(path).send(body());
      expectProblem(response, 401, 'unauthorized');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(await stateRows()).toBe(before);
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('refuses an unknown key', async () => {
      const before = await stateRows();
      const response = await test.http
        .post(path)
        .set(bearer(`unknown-${randomBytes(8).toString('hex')}`))
        .send(body());
      expectProblem(response, 401, 'unauthorized');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(await stateRows()).toBe(before);
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('refuses a key without tokens.write', async () => {
      const before = await stateRows();
      const response = await test.http.post(path).set(bearer(API_KEY.tokensRead)).send(body());
      expectProblem(response, 403, 'forbidden');
      expect(await stateRows()).toBe(before);
      expect(test.emulator.calls).toHaveLength(0);
    });
  });

  describe('GET /auth/instagram/callback', () => {
    it('refuses an unknown state before calling Instagram', async () => {
      const { account, redirect } = await consentedFlow();
      redirect.searchParams.set('state', randomBytes(32).toString('base64url'));
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 400, 'invalid_state');
      expect(test.emulator.calls).toHaveLength(0);
      expect(await connectionRows(account.userId)).toBe(0);
    });

    it('refuses an expired state before calling Instagram', async () => {
      const { account, state, redirect } = await consentedFlow();
      await test.sql(
        "UPDATE oauth_states SET expires_at = now() - interval '1 second' WHERE state_hash = $1",
        [hashState(state)],
      );
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 400, 'invalid_state');
      expect(test.emulator.calls).toHaveLength(0);
      expect(await connectionRows(account.userId)).toBe(0);
    });

    it('answers a denied consent with access_denied when the flow had no return URL', async () => {
      const { url } = await startFlow();
      const redirect = await consent(url, { decision: 'deny' });
      expect(redirect.searchParams.get('state')).not.toBeNull();
      test.emulator.resetCalls();
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 403, 'access_denied');
      expect(response.body.detail).toContain('The user denied your request');
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('sends a denied consent back to the return URL with status=error', async () => {
      const { url } = await startFlow({ returnTo: `${RETURN_ORIGIN}/done` });
      const redirect = await consent(url, { decision: 'deny' });
      test.emulator.resetCalls();
      const response = await test.http.get(callbackPath(redirect)).expect(302);
      const back = new URL(response.headers.location);
      expect(`${back.origin}${back.pathname}`).toBe(`${RETURN_ORIGIN}/done`);
      expect(back.searchParams.get('status')).toBe('error');
      expect(back.searchParams.get('error')).toBe('access_denied');
      expect(back.searchParams.has('ig_user_id')).toBe(false);
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('answers a denied consent that came back without a state with access_denied', async () => {
      const response = await test.http.get(
        '/auth/instagram/callback?error=access_denied&error_reason=user_denied' +
          '&error_description=The+user+denied+your+request',
      );
      expectProblem(response, 403, 'access_denied');
      expect(response.body.detail).toContain('The user denied your request');
    });

    it('refuses a callback with neither state nor error', async () => {
      const response = await test.http.get('/auth/instagram/callback');
      expectProblem(response, 400, 'invalid_state');
    });

    it('refuses a code without a state before calling Instagram', async () => {
      const { account, redirect } = await consentedFlow();
      redirect.searchParams.delete('state');
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 400, 'invalid_state');
      expect(test.emulator.calls).toHaveLength(0);
      expect(await connectionRows(account.userId)).toBe(0);
    });

    it('refuses a state without a code before calling Instagram', async () => {
      const { state } = await startFlow();
      const response = await test.http.get('/auth/instagram/callback').query({ state });
      expectProblem(response, 400, 'validation_failed');
      expect(test.emulator.calls).toHaveLength(0);
    });

    it("passes Instagram's refusal of a made-up code on as instagram_rejected", async () => {
      const { state } = await startFlow();
      const code = `AQ${randomBytes(24).toString('hex')}`;
      const response = await test.http.get('/auth/instagram/callback').query({ code, state });
      expectProblem(response, 400, 'instagram_rejected');
      expect(response.body.detail).toContain('Matching code was not found or was already used');
      expect(response.text).not.toContain(code);
      expect(callsTo('exchange_code')).toBe(1);
    });

    it("passes Instagram's refusal of an already used code on as instagram_rejected", async () => {
      const { account, redirect } = await consentedFlow();
      const code = redirect.searchParams.get('code') as string;
      await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .send({ code })
        .expect(201);
      const [before] = await test.sql('SELECT updated_at FROM connections WHERE ig_user_id = $1', [
        account.userId,
      ]);
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 400, 'instagram_rejected');
      expect(response.body.detail).toContain('This authorization code has been used');
      const [after] = await test.sql('SELECT updated_at FROM connections WHERE ig_user_id = $1', [
        account.userId,
      ]);
      expect(after).toEqual(before);
    });

    it.each([
      ['is down', { kind: 'unavailable' as const }],
      ['fails with a transient error', { kind: 'transient' as const }],
      ['drops the connection', { kind: 'drop' as const }],
    ])('answers 503 instagram_unavailable when Instagram %s on the code exchange', async (_, f) => {
      const { account, redirect } = await consentedFlow();
      test.emulator.injectFault({ operation: 'exchange_code', ...f });
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 503, 'instagram_unavailable');
      expect(callsTo('exchange_code')).toBe(1);
      expect(await connectionRows(account.userId)).toBe(0);
    });

    it('answers 504 instagram_timeout when Instagram is slower than the timeout', async () => {
      const { account, redirect } = await consentedFlow();
      test.emulator.injectFault({ operation: 'exchange_code', kind: 'delay', ms: 2500 });
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 504, 'instagram_timeout');
      expect(await connectionRows(account.userId)).toBe(0);
    });

    it('sends an Instagram outage back to the return URL with status=error', async () => {
      const { account, redirect } = await consentedFlow({ returnTo: `${RETURN_ORIGIN}/done` });
      test.emulator.injectFault({ operation: 'exchange_code', kind: 'unavailable' });
      const response = await test.http.get(callbackPath(redirect)).expect(302);
      const back = new URL(response.headers.location);
      expect(back.searchParams.get('status')).toBe('error');
      expect(back.searchParams.get('error')).toBe('instagram_unavailable');
      expect(await connectionRows(account.userId)).toBe(0);
    });

    it('keeps the short-lived token when the long-lived exchange fails; a refresh upgrades it', async () => {
      const { account, redirect } = await consentedFlow();
      test.emulator.injectFault({ operation: 'exchange_long_lived', kind: 'transient' });
      const callback = await test.http.get(callbackPath(redirect)).expect(200);
      expect(callback.body).toMatchObject({
        igUserId: account.userId,
        tokenKind: 'short_lived',
        status: 'active',
        lastRefreshedAt: null,
      });
      expectAboutFromNow(callback.body.expiresAt, 60 * MINUTE_MS);

      const refreshed = await test.http
        .post(`/tokens/${account.userId}/refresh`)
        .set(bearer(API_KEY.tokensWrite))
        .expect(200);
      expect(refreshed.body).toMatchObject({
        igUserId: account.userId,
        tokenKind: 'long_lived',
        status: 'active',
      });
      expect(refreshed.body.lastRefreshedAt).not.toBeNull();
      expectAboutFromNow(refreshed.body.expiresAt, 60 * 24 * 60 * MINUTE_MS);
      expect(callsTo('exchange_code')).toBe(1);
      expect(callsTo('exchange_long_lived')).toBe(2);
    });

    it.each<[ExchangeResponseShape, string[]]>([
      ['flat', [BASIC]],
      ['data', [BASIC, MESSAGES]],
      ['flat_permissions_array', [BASIC, MESSAGES]],
    ])('stores the exact big user_id and granted scopes (%s shape)', async (shape, scopes) => {
      test.emulator.exchangeShape = shape;
      const account = test.emulator.createAccount();
      const { url } = await startFlow();
      // The person grants more than the app's default scope; only shapes with permissions say so.
      const granted = new URL(url);
      granted.searchParams.set('scope', [BASIC, MESSAGES].join(','));
      const redirect = await consent(granted.toString(), { username: account.username });
      const callback = await test.http.get(callbackPath(redirect)).expect(200);
      expect(callback.body.igUserId).toBe(account.userId);
      expect(callback.body.scopes).toEqual(scopes);
      const rows = await test.sql(
        'SELECT ig_user_id, scopes FROM connections WHERE ig_user_id = $1',
        [account.userId],
      );
      expect(rows).toEqual([{ ig_user_id: account.userId, scopes }]);
    });

    it('brings an invalid connection back to active with a new token and keeps its owner', async () => {
      const account = test.emulator.createAccount();
      await connectAccount(test, { ownerId: 'owner-keep', username: account.username });
      const reveal = () =>
        test.http.get(`/tokens/${account.userId}/access-token`).set(bearer(API_KEY.tokensReveal));
      const oldToken = (await reveal().expect(200)).body.accessToken as string;
      await test.sql("UPDATE connections SET status = 'invalid' WHERE ig_user_id = $1", [
        account.userId,
      ]);

      const { url } = await startFlow();
      const redirect = await consent(url, { username: account.username });
      const callback = await test.http.get(callbackPath(redirect)).expect(200);

      expect(callback.body).toMatchObject({
        igUserId: account.userId,
        ownerId: 'owner-keep',
        status: 'active',
        tokenKind: 'long_lived',
      });
      const newToken = (await reveal().expect(200)).body.accessToken as string;
      expect(newToken).not.toBe(oldToken);
      expect(test.emulator.inspectToken(newToken)).toMatchObject({
        kind: 'long_lived',
        userId: account.userId,
        revoked: false,
      });
    });
  });

  describe('POST /auth/instagram/token', () => {
    function exchange(body: Record<string, unknown>) {
      return test.http.post('/auth/instagram/token').set(bearer(API_KEY.tokensWrite)).send(body);
    }

    it('stores a connection for a code captured elsewhere, with its ownerId', async () => {
      const account = test.emulator.createAccount();
      const response = await exchange({ code: issueCode(account), ownerId: 'customer-9' }).expect(
        201,
      );
      expect(response.body).toMatchObject({
        igUserId: account.userId,
        ownerId: 'customer-9',
        tokenKind: 'long_lived',
        status: 'active',
        scopes: [BASIC],
      });
      const rows = await test.sql('SELECT owner_id FROM connections WHERE ig_user_id = $1', [
        account.userId,
      ]);
      expect(rows).toEqual([{ owner_id: 'customer-9' }]);
    });

    it('removes the trailing #_ Instagram appends to a code', async () => {
      const account = test.emulator.createAccount();
      const response = await exchange({ code: `${issueCode(account)}#_` }).expect(201);
      expect(response.body.igUserId).toBe(account.userId);
    });

    it('sends the given redirectUri, so one unlike the issuing one is rejected', async () => {
      const account = test.emulator.createAccount();
      const response = await exchange({
        code: issueCode(account),
        redirectUri: `${REDIRECT_URI}/`,
      });
      expectProblem(response, 400, 'instagram_rejected');
      expect(response.body.detail).toContain('redirect_uri');
      expect(callsTo('exchange_code')).toBe(1);
      expect(await connectionRows(account.userId)).toBe(0);
    });

    it('rejects a code that was already used', async () => {
      const code = issueCode();
      await exchange({ code }).expect(201);
      const response = await exchange({ code });
      expectProblem(response, 400, 'instagram_rejected');
      expect(response.body.detail).toContain('This authorization code has been used');
      expect(response.text).not.toContain(code);
    });

    it.each([
      ['a missing code', {}],
      ['an empty code', { code: '' }],
      ['an unknown field', { code: 'AQabc', state: 'x' }],
      ['a redirectUri that is not a URL', { code: 'AQabc', redirectUri: 'callback' }],
    ])('refuses %s before calling Instagram', async (_, body) => {
      const response = await exchange(body);
      expectProblem(response, 400, 'validation_failed');
      expect(test.emulator.calls).toHaveLength(0);
    });
  });
});
