import { randomBytes } from 'node:crypto';
import { expectProblem } from './support/assertions.js';
import { allConnectionIds, connectionRow } from './support/connections.js';
import { signedRequestFor } from './support/meta.js';
import { callbackPath, consent, countStates, startFlow } from './support/oauth.js';
import {
  API_KEY,
  bearer,
  callsTo,
  REDIRECT_URI,
  RETURN_ORIGIN,
  useTestApp,
} from './support/test-app.js';

/** NUL and ten other control characters: C0, DEL and C1. */
const CONTROL_CHARACTERS = [
  '\u0000',
  '\u0001',
  '\u0007',
  '\u0008',
  '\t',
  '\n',
  '\u000b',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
];
const FORTY_DIGITS = '9'.repeat(40);

/** Each control character with a readable name, for test titles. */
const CONTROL_CASES = CONTROL_CHARACTERS.map((char) => [
  `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`,
  char,
]);

describe('hostile input', () => {
  const test = useTestApp();

  function issueCode(): string {
    return test.emulator.issueCode({
      appId: test.appId,
      redirectUri: REDIRECT_URI,
      scopes: ['instagram_business_basic'],
    });
  }

  function exchanges(): number {
    return callsTo(test, 'exchange_code').length;
  }

  describe('control characters in every text field', () => {
    it.each(CONTROL_CASES)(
      'refuses %s in code, redirectUri and ownerId before the code goes to Instagram',
      async (_name, char) => {
        const code = issueCode();
        const bodies = [
          { code: `${code}${char}` },
          { code: `${char}${code}` },
          { code, redirectUri: `${REDIRECT_URI}${char}` },
          { code, ownerId: `customer${char}42` },
        ];
        for (const body of bodies) {
          const response = await test.http
            .post('/auth/instagram/token')
            .set(bearer(API_KEY.tokensWrite))
            .send(body);
          expectProblem(response, 400, 'validation_failed');
        }

        expect(exchanges()).toBe(0);
        // The code was never spent: the same code, clean, still connects the account.
        await test.http
          .post('/auth/instagram/token')
          .set(bearer(API_KEY.tokensWrite))
          .send({ code, ownerId: 'customer-42' })
          .expect(201);
      },
    );

    it.each(CONTROL_CASES)(
      'refuses %s in a flow, a return URL and a list filter without storing anything',
      async (_name, char) => {
        const states = await countStates(test);
        const answers = [
          await test.http
            .post('/auth/instagram/authorization-urls')
            .set(bearer(API_KEY.tokensWrite))
            .send({ ownerId: `customer${char}42` }),
          await test.http
            .post('/auth/instagram/authorization-urls')
            .set(bearer(API_KEY.tokensWrite))
            .send({ returnTo: `${RETURN_ORIGIN}/done${char}` }),
          await test.http
            .get('/auth/instagram/authorize')
            .query({ return_to: `${RETURN_ORIGIN}/done${char}` }),
          await test.http
            .get('/tokens')
            .query({ ownerId: `customer${char}42` })
            .set(bearer(API_KEY.tokensRead)),
          await test.http
            .get('/tokens')
            .query({ cursor: `abc${char}` })
            .set(bearer(API_KEY.tokensRead)),
        ];

        for (const answer of answers) {
          expectProblem(answer, 400, 'validation_failed');
        }
        expect(await countStates(test)).toBe(states);
      },
    );

    it('refuses a callback whose code holds a NUL without spending its state or the code', async () => {
      const redirect = await consent((await startFlow(test)).url);
      test.emulator.resetCalls();
      const tampered = new URL(redirect);
      tampered.searchParams.set('code', `${redirect.searchParams.get('code')}\u0000`);

      expectProblem(await test.http.get(callbackPath(tampered)), 400, 'validation_failed');

      expect(exchanges()).toBe(0);
      // The real redirect still completes: neither the state nor the code was used up.
      await test.http.get(callbackPath(redirect)).expect(200);
    });
  });

  describe('deeply nested JSON', () => {
    it.each([
      ['arrays 7,000 deep', `${'['.repeat(7000)}${']'.repeat(7000)}`],
      [
        'objects 3,000 deep (as deep as 16 KiB allows)',
        `${'{"":'.repeat(3000)}1${'}'.repeat(3000)}`,
      ],
      ['a field nesting 33 deep', `{"code":"x","ownerId":${'['.repeat(33)}${']'.repeat(33)}}`],
    ])('refuses %s with 400 before anything reads it', async (_name, body) => {
      const response = await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .set('content-type', 'application/json')
        .send(body);

      expectProblem(response, 400, 'validation_failed');
      expect(response.body.detail).toMatch(/deeper than 32/);
      expect(exchanges()).toBe(0);
    });

    it('still reads brackets inside strings as text', async () => {
      const response = await test.http
        .post('/auth/instagram/authorization-urls')
        .set(bearer(API_KEY.tokensWrite))
        .set('content-type', 'application/json')
        .send(JSON.stringify({ ownerId: `${'['.repeat(100)}"{` }));

      expect(response.status).toBe(201);
    });
  });

  describe('outcome parameters on a return URL', () => {
    it('replaces a pre-set status and ig_user_id after a denied consent', async () => {
      const started = await startFlow(test, {
        returnTo: `${RETURN_ORIGIN}/done?status=connected&ig_user_id=1&tab=2`,
      });
      const redirect = await consent(started.url, { decision: 'deny' });

      const callback = await test.http.get(callbackPath(redirect)).expect(302);

      const back = new URL(callback.headers.location);
      expect([...back.searchParams]).toEqual([
        ['tab', '2'],
        ['status', 'error'],
        ['error', 'access_denied'],
      ]);
    });

    it('drops a pre-set error after a consent that worked', async () => {
      const started = await test.http
        .get('/auth/instagram/authorize')
        .query({ return_to: `${RETURN_ORIGIN}/done?error=forged&status=error` })
        .expect(302);
      const redirect = await consent(started.headers.location);

      const callback = await test.http.get(callbackPath(redirect)).expect(302);

      const back = new URL(callback.headers.location);
      expect(back.searchParams.get('status')).toBe('connected');
      expect(back.searchParams.has('error')).toBe(false);
      expect(back.searchParams.get('ig_user_id')).toMatch(/^\d{1,32}$/);
    });
  });

  describe('ids longer than the API accepts', () => {
    it('answers 502 to a 40-digit user_id from Instagram and stores nothing', async () => {
      const before = await allConnectionIds(test);
      test.emulator.injectFault({
        operation: 'exchange_code',
        kind: 'http',
        status: 200,
        body: `{"access_token":"IGAA${randomBytes(24).toString('hex')}","user_id":${FORTY_DIGITS}}`,
      });

      const response = await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .send({ code: issueCode() });

      expectProblem(response, 502, 'instagram_bad_response');
      const after = await allConnectionIds(test);
      expect(after).toEqual(before);
      expect(after.filter((id) => id.length > 32)).toEqual([]);
    });

    it('keeps no 40-digit id /me answers with', async () => {
      test.emulator.injectFault({
        operation: 'me',
        kind: 'http',
        status: 200,
        body: `{"id":${FORTY_DIGITS},"user_id":${FORTY_DIGITS},"username":"long_ids"}`,
      });

      const connected = await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .send({ code: issueCode() })
        .expect(201);

      const row = await connectionRow(test, connected.body.igUserId as string);
      expect(row).toMatchObject({ app_scoped_id: null, professional_id: null });
    });

    it('refuses a signed request naming a 40-digit user_id', async () => {
      const signed = signedRequestFor(FORTY_DIGITS, test.appSecret);

      const response = await test.http
        .post('/auth/instagram/data-deletion')
        .type('form')
        .send({ signed_request: signed });

      expectProblem(response, 400, 'invalid_signed_request');
    });

    it('refuses a 33-digit id in a path and a cursor', async () => {
      const id = '1'.repeat(33);
      expectProblem(
        await test.http.get(`/tokens/${id}`).set(bearer(API_KEY.tokensRead)),
        400,
        'validation_failed',
      );
      expectProblem(
        await test.http
          .get('/tokens')
          .query({ cursor: Buffer.from(id).toString('base64url') })
          .set(bearer(API_KEY.tokensRead)),
        400,
        'validation_failed',
      );
    });
  });
});
