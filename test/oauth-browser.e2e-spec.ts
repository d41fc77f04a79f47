import { randomBytes } from 'node:crypto';
import type { ExchangeResponseShape } from '../src/emulator/instagram-emulator.js';
import { expectAboutFromNow, expectProblem } from './support/assertions.js';
import { connectionRow, countConnections, markInvalid } from './support/connections.js';
import {
  callbackPath,
  consent,
  consentedFlow,
  connectAccount,
  countStates,
  expireState,
  startFlow,
} from './support/oauth.js';
import { API_KEY, bearer, RETURN_ORIGIN, useTestApp } from './support/test-app.js';
import { withConnectionWritesRefused } from './support/whole-database.js';

const BASIC = 'instagram_business_basic';
const MESSAGES = 'instagram_business_manage_messages';
const MINUTE_MS = 60 * 1000;

/**
 * The routes a person's browser takes through OAuth: the link that sends them to Instagram,
 * and Instagram's redirect back. The internal API that starts flows is oauth-api.
 */
describe("the browser's OAuth routes", () => {
  const test = useTestApp();

  beforeEach(() => {
    test.emulator.exchangeShape = 'flat';
  });

  function callsTo(operation: string): number {
    return test.emulator.calls.filter((call) => call.operation === operation).length;
  }

  describe('GET /auth/instagram/authorize', () => {
    it('redirects to the authorization window with the exact configured parameters', async () => {
      const response = await test.http.get('/auth/instagram/authorize').expect(302);
      const location = new URL(response.headers.location);
      expect(`${location.origin}${location.pathname}`).toBe(test.config.instagram.authorizeUrl);
      expect(location.searchParams.get('client_id')).toBe(test.appId);
      expect(location.searchParams.get('redirect_uri')).toBe(test.config.instagram.redirectUri);
      expect(location.searchParams.get('response_type')).toBe('code');
      expect(location.searchParams.get('scope')).toBe('instagram_business_basic');
      expect(location.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

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
      const before = await countStates(test);
      const response = await test.http
        .get('/auth/instagram/authorize')
        .query({ return_to: returnTo });
      expectProblem(response, 400, 'invalid_return_to');
      expect(response.headers.location).toBeUndefined();
      expect(await countStates(test)).toBe(before);
    });

    it('refuses a return_to that is not an absolute URL without starting a flow', async () => {
      const before = await countStates(test);
      const response = await test.http
        .get('/auth/instagram/authorize')
        .query({ return_to: '/done' });
      expectProblem(response, 400, 'invalid_return_to');
      expect(await countStates(test)).toBe(before);
    });

    it('refuses an unknown query parameter without starting a flow', async () => {
      const before = await countStates(test);
      const response = await test.http.get('/auth/instagram/authorize').query({ force: 'yes' });
      expectProblem(response, 400, 'validation_failed');
      expect(response.headers.location).toBeUndefined();
      expect(await countStates(test)).toBe(before);
    });
  });

  describe('GET /auth/instagram/callback', () => {
    it('connects an account end to end and keeps its exact big id', async () => {
      const { igUserId, body } = await connectAccount(test, { ownerId: 'customer-1' });
      expect(igUserId).toMatch(/^\d{17,}$/);
      expect(BigInt(igUserId) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      expect(body).toMatchObject({
        igUserId,
        ownerId: 'customer-1',
        tokenKind: 'long_lived',
        status: 'active',
        scopes: ['instagram_business_basic'],
      });
      expect(JSON.stringify(body)).not.toMatch(/IGAA/);
    });

    it('redirects to the return URL with the outcome', async () => {
      const started = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send({ returnTo: `${RETURN_ORIGIN}/done?x=1` })
        .expect(201);
      const redirect = await consent(started.body.url);
      const response = await test.http.get(callbackPath(redirect)).expect(302);
      const back = new URL(response.headers.location);
      expect(back.origin).toBe(RETURN_ORIGIN);
      expect(back.searchParams.get('x')).toBe('1');
      expect(back.searchParams.get('status')).toBe('connected');
      expect(back.searchParams.get('ig_user_id')).toMatch(/^\d+$/);
    });

    it('refuses a replayed state before calling Instagram', async () => {
      const started = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send({})
        .expect(201);
      const redirect = await consent(started.body.url);
      await test.http.get(callbackPath(redirect)).expect(200);
      test.emulator.resetCalls();
      const replay = await test.http.get(callbackPath(redirect)).expect(400);
      expect(replay.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(replay.body.code).toBe('invalid_state');
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('lets exactly one of five simultaneous callbacks with the same state through', async () => {
      const started = await test.http.get('/auth/instagram/authorize').expect(302);
      const redirect = await consent(started.headers.location);
      test.emulator.resetCalls();
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => test.http.get(callbackPath(redirect))),
      );
      const statuses = responses.map((response) => response.status).sort();
      expect(statuses).toEqual([200, 400, 400, 400, 400]);
      expect(
        responses.filter((response) => response.status === 400).map((r) => r.body.code),
      ).toEqual(['invalid_state', 'invalid_state', 'invalid_state', 'invalid_state']);
      expect(test.emulator.calls.filter((call) => call.operation === 'exchange_code')).toHaveLength(
        1,
      );
    });

    it('sends the person back to the return URL with internal_error when storing fails', async () => {
      const started = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send({ returnTo: `${RETURN_ORIGIN}/done` })
        .expect(201);
      const redirect = await consent(started.body.url as string);
      // The database refuses the write after the exchange.
      await withConnectionWritesRefused(test, async () => {
        const response = await test.http.get(callbackPath(redirect)).expect(302);
        const back = new URL(response.headers.location);
        expect(back.origin).toBe(RETURN_ORIGIN);
        expect(back.searchParams.get('status')).toBe('error');
        expect(back.searchParams.get('error')).toBe('internal_error');
      });
    });

    it('uses expires_in of the code exchange when Instagram sends one', async () => {
      const started = await test.http.get('/auth/instagram/authorize').expect(302);
      const redirect = await consent(started.headers.location);
      test.emulator.injectFault({
        operation: 'exchange_code',
        kind: 'http',
        status: 200,
        contentType: 'application/json',
        body: '{"access_token":"IGAAstandin","user_id":27640875392278999,"expires_in":1800}',
      });
      // The emulator does not know that token, so the upgrade fails and the short-lived one stays.
      const response = await test.http.get(callbackPath(redirect)).expect(200);
      expect(response.body).toMatchObject({
        igUserId: '27640875392278999',
        tokenKind: 'short_lived',
      });
      const lifetime = Date.parse(response.body.expiresAt as string) - Date.now();
      expect(lifetime).toBeGreaterThan(25 * 60 * 1000);
      expect(lifetime).toBeLessThanOrEqual(30 * 60 * 1000);
    });

    it('refuses an unknown state before calling Instagram', async () => {
      const { account, redirect } = await consentedFlow(test);
      redirect.searchParams.set('state', randomBytes(32).toString('base64url'));
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 400, 'invalid_state');
      expect(test.emulator.calls).toHaveLength(0);
      expect(await countConnections(test, account.userId)).toBe(0);
    });

    it('refuses an expired state before calling Instagram', async () => {
      const { account, state, redirect } = await consentedFlow(test);
      await expireState(test, state);
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 400, 'invalid_state');
      expect(test.emulator.calls).toHaveLength(0);
      expect(await countConnections(test, account.userId)).toBe(0);
    });

    it('answers a denied consent with access_denied when the flow had no return URL', async () => {
      const { url } = await startFlow(test);
      const redirect = await consent(url, { decision: 'deny' });
      expect(redirect.searchParams.get('state')).not.toBeNull();
      test.emulator.resetCalls();
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 403, 'access_denied');
      expect(response.body.detail).toContain('The user denied your request');
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('sends a denied consent back to the return URL with status=error', async () => {
      const { url } = await startFlow(test, { returnTo: `${RETURN_ORIGIN}/done` });
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
      const { account, redirect } = await consentedFlow(test);
      redirect.searchParams.delete('state');
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 400, 'invalid_state');
      expect(test.emulator.calls).toHaveLength(0);
      expect(await countConnections(test, account.userId)).toBe(0);
    });

    it('refuses a state without a code before calling Instagram', async () => {
      const { state } = await startFlow(test);
      const response = await test.http.get('/auth/instagram/callback').query({ state });
      expectProblem(response, 400, 'validation_failed');
      expect(test.emulator.calls).toHaveLength(0);
    });

    it("passes Instagram's refusal of a made-up code on as instagram_rejected", async () => {
      const { state } = await startFlow(test);
      const code = `AQ${randomBytes(24).toString('hex')}`;
      const response = await test.http.get('/auth/instagram/callback').query({ code, state });
      expectProblem(response, 400, 'instagram_rejected');
      expect(response.body.detail).toContain('Matching code was not found or was already used');
      expect(response.text).not.toContain(code);
      expect(callsTo('exchange_code')).toBe(1);
    });

    it("passes Instagram's refusal of an already used code on as instagram_rejected", async () => {
      const { account, redirect } = await consentedFlow(test);
      const code = redirect.searchParams.get('code') as string;
      await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .send({ code })
        .expect(201);
      const before = (await connectionRow(test, account.userId))?.updated_at;
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 400, 'instagram_rejected');
      expect(response.body.detail).toContain('This authorization code has been used');
      const after = (await connectionRow(test, account.userId))?.updated_at;
      expect(after).toEqual(before);
    });

    it.each([
      ['is down', { kind: 'unavailable' as const }, 1],
      ['fails with a transient error', { kind: 'transient' as const }, 1],
      // A dropped connection is tried once more on a fresh one; dropped again, it is an outage.
      ['drops the connection twice', { kind: 'drop' as const }, 2],
    ])(
      'answers 503 instagram_unavailable when Instagram %s on the code exchange',
      async (_, fault, times) => {
        const { account, redirect } = await consentedFlow(test);
        test.emulator.injectFault({ operation: 'exchange_code', ...fault }, times);
        const response = await test.http.get(callbackPath(redirect));
        expectProblem(response, 503, 'instagram_unavailable');
        expect(callsTo('exchange_code')).toBe(times);
        expect(await countConnections(test, account.userId)).toBe(0);
      },
    );

    it('sends the code exchange once more when Instagram drops the connection once', async () => {
      const { account, redirect } = await consentedFlow(test);
      test.emulator.injectFault({ operation: 'exchange_code', kind: 'drop' });
      const response = await test.http.get(callbackPath(redirect));
      expect(response.status).toBe(200);
      expect(callsTo('exchange_code')).toBe(2);
      expect(await countConnections(test, account.userId)).toBe(1);
    });

    it('answers 504 instagram_timeout when Instagram is slower than the timeout', async () => {
      const { account, redirect } = await consentedFlow(test);
      test.emulator.injectFault({ operation: 'exchange_code', kind: 'delay', ms: 2500 });
      const response = await test.http.get(callbackPath(redirect));
      expectProblem(response, 504, 'instagram_timeout');
      expect(await countConnections(test, account.userId)).toBe(0);
    });

    it('sends an Instagram outage back to the return URL with status=error', async () => {
      const { account, redirect } = await consentedFlow(test, {
        returnTo: `${RETURN_ORIGIN}/done`,
      });
      test.emulator.injectFault({ operation: 'exchange_code', kind: 'unavailable' });
      const response = await test.http.get(callbackPath(redirect)).expect(302);
      const back = new URL(response.headers.location);
      expect(back.searchParams.get('status')).toBe('error');
      expect(back.searchParams.get('error')).toBe('instagram_unavailable');
      expect(await countConnections(test, account.userId)).toBe(0);
    });

    it('keeps the short-lived token when the long-lived exchange fails; a refresh upgrades it', async () => {
      const { account, redirect } = await consentedFlow(test);
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
      const { url } = await startFlow(test);
      // The person grants more than the app's default scope; only shapes with permissions say so.
      const granted = new URL(url);
      granted.searchParams.set('scope', [BASIC, MESSAGES].join(','));
      const redirect = await consent(granted.toString(), { username: account.username });
      const callback = await test.http.get(callbackPath(redirect)).expect(200);
      expect(callback.body.igUserId).toBe(account.userId);
      expect(callback.body.scopes).toEqual(scopes);
      const row = await connectionRow(test, account.userId);
      expect({ ig_user_id: row?.ig_user_id, scopes: row?.scopes }).toEqual({
        ig_user_id: account.userId,
        scopes,
      });
    });

    it('brings an invalid connection back to active with a new token and keeps its owner', async () => {
      const account = test.emulator.createAccount();
      await connectAccount(test, { ownerId: 'owner-keep', username: account.username });
      const reveal = () =>
        test.http.get(`/tokens/${account.userId}/access-token`).set(bearer(API_KEY.tokensReveal));
      const oldToken = (await reveal().expect(200)).body.accessToken as string;
      await markInvalid(test, account.userId);

      const { url } = await startFlow(test);
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
});
