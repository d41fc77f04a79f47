import { randomBytes } from 'node:crypto';
import type { EmulatorAccount } from '../src/emulator/instagram-emulator.js';
import { expectAboutFromNow, expectProblem } from './support/assertions.js';
import { connectionRow, countConnections } from './support/connections.js';
import {
  callbackPath,
  consentedFlow,
  countStates,
  startFlow,
  stateExpiry,
} from './support/oauth.js';
import { API_KEY, bearer, REDIRECT_URI, useTestApp } from './support/test-app.js';

const BASIC = 'instagram_business_basic';
const MINUTE_MS = 60 * 1000;

/**
 * The internal API of OAuth (API key, tokens.write): starting a flow for a person your
 * service sends to Instagram, and exchanging a code captured elsewhere.
 */
describe('the internal OAuth routes', () => {
  const test = useTestApp();

  function callsTo(operation: string): number {
    return test.emulator.calls.filter((call) => call.operation === operation).length;
  }

  function issueCode(account?: EmulatorAccount, scopes = [BASIC]): string {
    return test.emulator.issueCode({
      appId: test.appId,
      redirectUri: REDIRECT_URI,
      scopes,
      account,
    });
  }

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
      expect(await stateExpiry(test, state)).toEqual([expiresAt]);
    });

    it('carries the ownerId to the connection the flow creates', async () => {
      const { account, redirect } = await consentedFlow(test, { ownerId: 'customer-77' });
      const callback = await test.http.get(callbackPath(redirect)).expect(200);
      expect(callback.body).toMatchObject({ igUserId: account.userId, ownerId: 'customer-77' });
      expect((await connectionRow(test, account.userId))?.owner_id).toBe('customer-77');
    });

    it('accepts an ownerId of exactly 255 characters', async () => {
      await startFlow(test, { ownerId: 'o'.repeat(255) });
    });

    it.each([
      ['an unknown field', { ownerId: 'customer-1', scope: 'instagram_business_content_publish' }],
      ['an empty ownerId', { ownerId: '' }],
      ['an ownerId over 255 characters', { ownerId: 'o'.repeat(256) }],
      ['a numeric ownerId', { ownerId: 42 }],
      ['a returnTo that is not a URL', { returnTo: 'somewhere nice' }],
      ['a returnTo that is not http(s)', { returnTo: 'ftp://app.test/done' }],
    ])('refuses %s without starting a flow', async (_, body) => {
      const before = await countStates(test);
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send(body);
      expectProblem(response, 400, 'validation_failed');
      expect(await countStates(test)).toBe(before);
    });

    it('refuses a returnTo on a foreign origin without starting a flow', async () => {
      const before = await countStates(test);
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send({ returnTo: 'https://evil.test/done' });
      expectProblem(response, 400, 'invalid_return_to');
      expect(await countStates(test)).toBe(before);
    });

    it('refuses a body that is not JSON', async () => {
      const before = await countStates(test);
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .set('content-type', 'application/json')
        .send('{"ownerId": "customer-1"');
      expectProblem(response, 400, 'validation_failed');
      expect(await countStates(test)).toBe(before);
    });

    it('refuses a body over 16 KiB', async () => {
      const before = await countStates(test);
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .send({ ownerId: 'o'.repeat(17 * 1024) });
      expectProblem(response, 413, 'payload_too_large');
      expect(await countStates(test)).toBe(before);
    });
  });

  describe.each([
    ['POST /auth/instagram/authorization-urls', '/auth/instagram/authorization-urls'],
    ['POST /auth/instagram/token', '/auth/instagram/token'],
  ])('%s API key', (_, path) => {
    const body = (): Record<string, string> =>
      path.endsWith('/token') ? { code: issueCode() } : { ownerId: 'customer-1' };

    it('refuses a request without a key, asking for a bearer token', async () => {
      const before = await countStates(test);
      const response = await test.http.post(path).send(body());
      expectProblem(response, 401, 'unauthorized');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(await countStates(test)).toBe(before);
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('refuses an unknown key', async () => {
      const before = await countStates(test);
      const response = await test.http
        .post(path)
        .set(bearer(`unknown-${randomBytes(8).toString('hex')}`))
        .send(body());
      expectProblem(response, 401, 'unauthorized');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(await countStates(test)).toBe(before);
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('refuses a key without tokens.write', async () => {
      const before = await countStates(test);
      const response = await test.http.post(path).set(bearer(API_KEY.tokensRead)).send(body());
      expectProblem(response, 403, 'forbidden');
      expect(await countStates(test)).toBe(before);
      expect(test.emulator.calls).toHaveLength(0);
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
      expect((await connectionRow(test, account.userId))?.owner_id).toBe('customer-9');
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
      expect(await countConnections(test, account.userId)).toBe(0);
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
