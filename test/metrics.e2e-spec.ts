import { freePort } from './support/net.js';
import { connectAccount } from './support/oauth.js';
import { sweep } from './support/refresh.js';
import { API_KEY, bearer, startTestApp, type TestApp, useTestApp } from './support/test-app.js';
import { withoutConnectionsTable } from './support/whole-database.js';

/** The value of one sample line, e.g. metric('x_total', '{a="b"}'). */
function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('GET /metrics', () => {
  const test = useTestApp();

  it('shows a full flow: requests by route, Instagram calls by outcome, connections by status', async () => {
    const { igUserId, code } = await connectAccount(test);
    await test.http.get(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensRead)).expect(200);
    test.emulator.injectFault({ operation: 'me', kind: 'unavailable' });
    await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead)).expect(503);
    await sweep(test);

    const response = await test.http.get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.text;

    expect(
      sample(
        text,
        'vault_http_requests_total',
        '{method="GET",route="/tokens/:igUserId",status="200"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'vault_http_requests_total',
        '{method="GET",route="/auth/instagram/callback",status="200"}',
      ),
    ).toBe(1);
    expect(text).toMatch(
      /^vault_http_request_duration_seconds_bucket\{.*route="\/users\/:igUserId".*\} \d+$/m,
    );
    expect(
      sample(text, 'vault_instagram_calls_total', '{operation="exchange_code",outcome="ok"}'),
    ).toBe(1);
    expect(
      sample(text, 'vault_instagram_calls_total', '{operation="me",outcome="unavailable"}'),
    ).toBe(1);
    expect(text).toMatch(
      /^vault_instagram_call_duration_seconds_count\{operation="exchange_long_lived",outcome="ok"\} 1$/m,
    );
    expect(sample(text, 'vault_connections', '{status="active"}')).toBe(1);
    expect(sample(text, 'vault_connections', '{status="invalid"}')).toBe(0);
    expect(sample(text, 'vault_refresh_sweep_duration_seconds_count', '')).toBe(1);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);

    // Route patterns only: no ids, codes or tokens end up in label values.
    expect(text).not.toContain(igUserId);
    expect(text).not.toContain(code);
  });

  it('needs no API key', async () => {
    await test.http.get('/metrics').expect(200);
  });

  it('still answers when the connection counts cannot be read', async () => {
    await withoutConnectionsTable(test, async () => {
      const response = await test.http.get('/metrics').expect(200);
      expect(response.text).toMatch(/^process_cpu_user_seconds_total \d/m);
    });
  });
});

describe('GET /metrics with METRICS_PORT', () => {
  let test: TestApp;
  let metricsUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    test = await startTestApp({ METRICS_PORT: String(port), HOST: '127.0.0.1' });
  });

  afterAll(async () => {
    await test?.close();
  });

  it('serves the metrics on that port only; the API port answers 404', async () => {
    await test.http.get('/health/live').expect(200);
    const scrape = await fetch(`${metricsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await scrape.text();
    expect(
      sample(text, 'vault_http_requests_total', '{method="GET",route="/health/live",status="200"}'),
    ).toBe(1);
    expect(text).toMatch(/^vault_connections\{status="active"\} 0$/m);

    const onApiPort = await test.http.get('/metrics').expect(404);
    expect(onApiPort.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(onApiPort.body.code).toBe('not_found');
  });

  it('answers anything else on the metrics port with a problem', async () => {
    const other = await fetch(`${metricsUrl}/tokens`);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toBe('application/problem+json');
    expect(((await other.json()) as { code: string }).code).toBe('not_found');

    const post = await fetch(`${metricsUrl}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('stops listening when the app closes', async () => {
    const port = await freePort();
    const second = await startTestApp(
      { METRICS_PORT: String(port), HOST: '127.0.0.1' },
      { peer: test },
    );
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    await second.close();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
