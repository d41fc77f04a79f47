import { API_KEY, bearer, useTestApp } from './support/test-app.js';

describe('protection of the public endpoints', () => {
  const test = useTestApp({ RATE_LIMIT_PER_MINUTE: '3' });

  it('answers 429 with Retry-After once an address exceeds the limit on a browser route', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await test.http.get('/auth/instagram/authorize').expect(302);
    }
    const limited = await test.http.get('/auth/instagram/authorize').expect(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('limits the Meta callbacks too', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const response = await test.http
        .post('/auth/instagram/deauthorize')
        .type('form')
        .send({ signed_request: 'x.y' });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
  });

  it('does not limit internal callers with API keys', async () => {
    for (let attempt = 0; attempt < 6; attempt++) {
      await test.http.get('/tokens').set(bearer(API_KEY.tokensRead)).expect(200);
    }
  });

  it('sends security headers on every response, errors included', async () => {
    for (const response of [
      await test.http.get('/health/live'),
      await test.http.get('/tokens'),
      await test.http.get('/no-such-route'),
    ]) {
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('refuses a body over 16 KiB with 413', async () => {
    const response = await test.http
      .post('/auth/instagram/token')
      .set(bearer(API_KEY.tokensWrite))
      .send({ code: 'x'.repeat(20 * 1024) })
      .expect(413);
    expect(response.body.code).toBe('payload_too_large');
  });
});

describe('the rate limit behind a proxy (TRUST_PROXY=1)', () => {
  const test = useTestApp({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: '1' });

  it('counts the address the proxy saw, whatever the client wrote before it', async () => {
    const statuses: number[] = [];
    for (const spoofed of ['6.6.6.1', '6.6.6.2', '6.6.6.3']) {
      const response = await test.http
        .get('/auth/instagram/authorize')
        .set('x-forwarded-for', `${spoofed}, 203.0.113.7`);
      statuses.push(response.status);
    }
    expect(statuses).toEqual([302, 302, 429]);
    // Another client behind the same proxy has its own budget.
    await test.http
      .get('/auth/instagram/authorize')
      .set('x-forwarded-for', '203.0.113.8')
      .expect(302);
  });
});
