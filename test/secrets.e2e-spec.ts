import { callbackPath, consent } from './support/oauth.js';
import { API_KEY, bearer, useTestApp } from './support/test-app.js';
import { everythingStored } from './support/whole-database.js';

describe('secrets', () => {
  const test = useTestApp();

  it('keeps no plaintext token, code, state or secret in the database or the logs after a full flow', async () => {
    const account = test.emulator.createAccount();
    const started = await test.http.get('/auth/instagram/authorize').expect(302);
    const state = new URL(started.headers.location).searchParams.get('state') as string;
    const redirect = await consent(started.headers.location, {
      username: account.username,
    });
    const code = redirect.searchParams.get('code') as string;
    const connected = await test.http.get(callbackPath(redirect)).expect(200);
    const igUserId = connected.body.igUserId as string;
    await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead)).expect(200);
    const revealed = await test.http
      .get(`/tokens/${igUserId}/access-token`)
      .set(bearer(API_KEY.tokensReveal))
      .expect(200);
    const longLived = revealed.body.accessToken as string;
    const shortLived = test.emulator.calls.find((call) => call.operation === 'exchange_long_lived')
      ?.accessToken as string;
    // A failing call too: Instagram's error path must not log what it was sent.
    test.emulator.injectFault({ operation: 'me', kind: 'transient' });
    await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead)).expect(503);
    await test.http.get('/tokens').set(bearer('wrong-secret-that-is-long-enough')).expect(401);

    const secrets = {
      longLived,
      shortLived,
      code,
      state,
      appSecret: test.appSecret,
      apiKey: API_KEY.tokensReveal,
      wrongApiKey: 'wrong-secret-that-is-long-enough',
      encryptionKey: test.encryptionKey,
    };
    for (const value of Object.values(secrets)) {
      expect(value.length).toBeGreaterThan(10);
    }
    const dump = await everythingStored(test);
    const logs = test.logs.join('\n');
    expect(logs).toContain('instagram call');
    expect(dump).toContain(igUserId);
    for (const [name, value] of Object.entries(secrets)) {
      expect({ name, inDatabase: dump.includes(value) }).toEqual({ name, inDatabase: false });
      expect({ name, inLogs: logs.includes(value) }).toEqual({ name, inLogs: false });
    }
  });

  it('never puts a token in a connection or a list', async () => {
    const started = await test.http.get('/auth/instagram/authorize').expect(302);
    const redirect = await consent(started.headers.location);
    const connected = await test.http.get(callbackPath(redirect)).expect(200);
    const igUserId = connected.body.igUserId as string;
    const { body: revealed } = await test.http
      .get(`/tokens/${igUserId}/access-token`)
      .set(bearer(API_KEY.tokensReveal))
      .expect(200);
    const one = await test.http
      .get(`/tokens/${igUserId}`)
      .set(bearer(API_KEY.tokensRead))
      .expect(200);
    const list = await test.http.get('/tokens').set(bearer(API_KEY.tokensRead)).expect(200);
    expect(one.text).not.toContain(revealed.accessToken);
    expect(list.text).not.toContain(revealed.accessToken);
    expect(Object.keys(one.body).sort()).toEqual(
      [
        'createdAt',
        'expiresAt',
        'igUserId',
        'lastRefreshedAt',
        'lastRefreshError',
        'lastRefreshErrorAt',
        'nextRefreshAt',
        'ownerId',
        'refreshAttempts',
        'scopes',
        'status',
        'tokenKind',
        'updatedAt',
        'username',
      ].sort(),
    );
  });

  it('demands an API key on every route the OpenAPI document marks as secured', async () => {
    const document = (await test.http.get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const secured = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => (operation.security?.length ?? 0) > 0)
        .map(([method, operation]) => ({
          method,
          path: path.replace('{igUserId}', '17841400000000001'),
          operation,
        })),
    );
    expect(secured.length).toBeGreaterThanOrEqual(8);
    for (const { method, path } of secured) {
      const response = await test.http[method as 'get' | 'post' | 'delete'](path).send({});
      expect({ method, path, status: response.status, code: response.body.code }).toEqual({
        method,
        path,
        status: 401,
        code: 'unauthorized',
      });
    }
  });

  it('leaves only the browser, Meta and operations routes open', async () => {
    const document = (await test.http.get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    const open = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => (operation.security?.length ?? 0) === 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(open.sort()).toEqual(
      [
        'GET /auth/instagram/authorize',
        'GET /auth/instagram/callback',
        'GET /auth/instagram/data-deletion/{confirmationCode}',
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
        'POST /auth/instagram/data-deletion',
        'POST /auth/instagram/deauthorize',
      ].sort(),
    );
  });
});
