import { API_KEY, bearer, useTestApp } from './support/test-app.js';

interface LogLine {
  msg: string;
  req?: { id: string; method: string; url: string };
  res?: { statusCode: number };
}

describe('request logging', () => {
  const test = useTestApp();

  function requestLines(): LogLine[] {
    return test.logs
      .map((line) => JSON.parse(line) as LogLine)
      .filter((line) => line.req !== undefined && line.res !== undefined);
  }

  it('writes one JSON line per request with the id the caller sent, and echoes it', async () => {
    const response = await test.http
      .get('/tokens')
      .set(bearer(API_KEY.tokensRead))
      .set('x-request-id', 'caller-id-42')
      .expect(200);
    expect(response.headers['x-request-id']).toBe('caller-id-42');
    const line = requestLines().find((entry) => entry.req?.id === 'caller-id-42');
    expect(line).toMatchObject({
      req: { method: 'GET', url: '/tokens' },
      res: { statusCode: 200 },
    });
  });

  it('makes a request id when the caller sends none or an unsafe one', async () => {
    const none = await test.http.get('/health/live').expect(200);
    expect(none.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const unsafe = await test.http
      .get('/health/live')
      .set('x-request-id', 'bad id {"x":1} '.repeat(20));
    expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('redacts code and state in logged callback URLs', async () => {
    await test.http
      .get('/auth/instagram/callback?code=AQsecretcode123&state=statesecret456&x=1')
      .set('x-request-id', 'callback-line')
      .expect(400);
    const line = requestLines().find((entry) => entry.req?.id === 'callback-line');
    expect(line?.req?.url).toBe(
      '/auth/instagram/callback?code=[REDACTED]&state=[REDACTED]&x=[REDACTED]',
    );
    expect(test.logs.join('\n')).not.toMatch(/AQsecretcode123|statesecret456/);
  });

  it('puts the request id on the lines the service writes while handling that request', async () => {
    await test.http
      .get('/auth/instagram/callback?code=AQrejected&state=unknown-state')
      .set('x-request-id', 'traced-request')
      .expect(400);
    const serviceLines = test.logs
      .map((line) => JSON.parse(line) as LogLine & { context?: string })
      .filter((line) => line.context !== undefined && line.req?.id === 'traced-request');
    expect(serviceLines.length).toBeGreaterThan(0);
  });

  it('never logs the Authorization header', async () => {
    await test.http.get('/tokens').set(bearer(API_KEY.all)).expect(200);
    expect(test.logs.join('\n')).not.toContain(API_KEY.all);
  });

  it.each(['api_key', 'apiKey', 'key', 'access_token', 'q'])(
    'keeps an API key sent as ?%s out of every log line',
    async (name) => {
      const requestId = `leak-${name}`;
      await test.http
        .get('/tokens/17841400000000001')
        .query({ [name]: API_KEY.all, limit: '5' })
        .set('x-request-id', requestId)
        .expect(401);

      const line = requestLines().find((entry) => entry.req?.id === requestId);
      expect(line?.req?.url).toBe(`/tokens/17841400000000001?${name}=[REDACTED]&limit=5`);
      expect(test.logs.join('\n')).not.toContain(API_KEY.all);
    },
  );
});
