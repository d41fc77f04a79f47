import { connectAccount } from './support/oauth.js';
import { sweep } from './support/refresh.js';
import { API_KEY, bearer, useTestApp } from './support/test-app.js';
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
