import { connectionRow } from './support/connections.js';
import { callbackPath, consent, startFlow } from './support/oauth.js';
import { API_KEY, bearer, useTestApp } from './support/test-app.js';
import { waitFor } from './support/wait.js';

/** INSTAGRAM_TIMEOUT_MS of the test app; a consent must answer within it plus a second. */
const TIMEOUT_MS = 2000;
const BUDGET_MS = TIMEOUT_MS + 1000;
/** The bound is the feature; this margin only covers a loaded CI machine's scheduling. */
const MARGIN_MS = 400;

describe('a consent with slow Instagram calls answers within INSTAGRAM_TIMEOUT_MS plus a second', () => {
  const test = useTestApp({ INSTAGRAM_TIMEOUT_MS: String(TIMEOUT_MS) });

  async function consentedCallback(): Promise<string> {
    const started = await startFlow(test, { ownerId: 'slow-consent' });
    return callbackPath(await consent(started.url));
  }

  const slowEverything = () => {
    for (const operation of ['exchange_code', 'exchange_long_lived', 'me'] as const) {
      test.emulator.injectFault({ operation, kind: 'delay', ms: 1500 });
    }
  };

  const stored = async (igUserId: string) => (await connectionRow(test, igUserId))!;

  it('keeps the short-lived token when the upgrade does not fit, and learns the profile afterwards', async () => {
    const path = await consentedCallback();
    slowEverything();

    const startedAt = Date.now();
    const response = await test.http.get(path);
    const tookMs = Date.now() - startedAt;

    expect(response.status).toBe(200);
    expect(tookMs).toBeLessThan(BUDGET_MS + MARGIN_MS);
    expect(response.body.tokenKind).toBe('short_lived');
    const igUserId = response.body.igUserId as string;
    // The profile read went on after the answer.
    await waitFor('the username', async () => (await stored(igUserId))?.username);
    expect((await stored(igUserId)).token_kind).toBe('short_lived');
  });

  it('bounds POST /auth/instagram/token the same way', async () => {
    const path = await consentedCallback();
    const code = new URL(path, 'https://vault.test').searchParams.get('code') as string;
    // A callback for this state never runs here: the code is taken "elsewhere".
    slowEverything();

    const startedAt = Date.now();
    const response = await test.http
      .post('/auth/instagram/token')
      .set(bearer(API_KEY.tokensWrite))
      .send({ code });
    const tookMs = Date.now() - startedAt;

    expect(response.status).toBe(201);
    expect(tookMs).toBeLessThan(BUDGET_MS + MARGIN_MS);
  });

  it('answers 504 when the code exchange itself takes longer than INSTAGRAM_TIMEOUT_MS', async () => {
    const path = await consentedCallback();
    test.emulator.injectFault({ operation: 'exchange_code', kind: 'delay', ms: TIMEOUT_MS + 1500 });

    const startedAt = Date.now();
    const response = await test.http.get(path);

    expect(response.status).toBe(504);
    expect(response.body.code).toBe('instagram_timeout');
    expect(Date.now() - startedAt).toBeLessThan(BUDGET_MS + MARGIN_MS);
  });

  it('upgrades in the request when Instagram answers in time', async () => {
    const path = await consentedCallback();
    const response = await test.http.get(path).expect(200);
    expect(response.body.tokenKind).toBe('long_lived');
  });
});
