import {
  API_KEY,
  bearer,
  callbackPath,
  consent,
  connectAccount,
  RETURN_ORIGIN,
  useTestApp,
} from './support/test-app.js';

describe('OAuth flow', () => {
  const test = useTestApp();

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
});

describe('OAuth flow under concurrency and failure', () => {
  const test = useTestApp();

  it('lets exactly one of five simultaneous callbacks with the same state through', async () => {
    const started = await test.http.get('/auth/instagram/authorize').expect(302);
    const redirect = await consent(started.headers.location);
    test.emulator.resetCalls();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => test.http.get(callbackPath(redirect))),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([200, 400, 400, 400, 400]);
    expect(responses.filter((response) => response.status === 400).map((r) => r.body.code)).toEqual(
      ['invalid_state', 'invalid_state', 'invalid_state', 'invalid_state'],
    );
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
    // A constraint no new row can meet: the database refuses the write after the exchange.
    await test.sql('ALTER TABLE connections ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID');
    try {
      const response = await test.http.get(callbackPath(redirect)).expect(302);
      const back = new URL(response.headers.location);
      expect(back.origin).toBe(RETURN_ORIGIN);
      expect(back.searchParams.get('status')).toBe('error');
      expect(back.searchParams.get('error')).toBe('internal_error');
    } finally {
      await test.sql('ALTER TABLE connections DROP CONSTRAINT refuse_writes');
    }
  });
});

describe('OAuth flow against other answers a stand-in may give', () => {
  const test = useTestApp();

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
});
