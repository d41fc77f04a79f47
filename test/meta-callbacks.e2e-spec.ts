import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import type { EmulatorAccount } from '../src/emulator/instagram-emulator.js';
import { anIsoDate, expectProblem } from './support/assertions.js';
import { connectionRow, countConnections, revealAudit } from './support/connections.js';
import {
  countDeletionRequests,
  signedRequestFor,
  signEncoded,
  signRequest,
} from './support/meta.js';
import { connectAccount } from './support/oauth.js';
import { API_KEY, bearer, REDIRECT_URI, startTestApp, useTestApp } from './support/test-app.js';

const DEAUTHORIZE = '/auth/instagram/deauthorize';
const DATA_DELETION = '/auth/instagram/data-deletion';
const PUBLIC_ORIGIN = new URL(REDIRECT_URI).origin;
const UNKNOWN_USER_ID = '17841499999999999';

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

describe("Meta's deauthorize and data deletion callbacks", () => {
  const test = useTestApp();

  function signedFor(userId: string, secret: string = test.appSecret): string {
    return signedRequestFor(userId, secret);
  }

  function postForm(path: string, form: Record<string, string>): Promise<Response> {
    return test.http.post(path).type('form').send(form);
  }

  async function connect(): Promise<{ igUserId: string; account: EmulatorAccount }> {
    const account = test.emulator.createAccount({
      username: `meta_${randomBytes(5).toString('hex')}`,
    });
    const { igUserId } = await connectAccount(test, { username: account.username });
    expect(igUserId).toBe(account.userId);
    return { igUserId, account };
  }

  const stored = (igUserId: string) => connectionRow(test, igUserId);

  async function reveal(igUserId: string): Promise<Response> {
    return test.http.get(`/tokens/${igUserId}/access-token`).set(bearer(API_KEY.tokensReveal));
  }

  const countReveals = async (igUserId: string) => (await revealAudit(test, igUserId)).length;

  /** Every way a signed_request must be refused; each builds its request for one account. */
  const REFUSALS: [string, (path: string, userId: string) => Promise<Response>][] = [
    [
      'a request signed with another secret',
      (path, userId) =>
        postForm(path, { signed_request: signedFor(userId, randomBytes(16).toString('hex')) }),
    ],
    [
      'an algorithm other than HMAC-SHA256, signed correctly',
      (path, userId) =>
        postForm(path, {
          signed_request: signRequest(
            { algorithm: 'HMAC-SHA1', issued_at: nowSeconds(), user_id: userId },
            test.appSecret,
          ),
        }),
    ],
    [
      'a correctly signed replay issued two days ago',
      (path, userId) =>
        postForm(path, {
          signed_request: signRequest(
            { algorithm: 'HMAC-SHA256', issued_at: nowSeconds() - 2 * 86_400, user_id: userId },
            test.appSecret,
          ),
        }),
    ],
    [
      "a signature with '*' in it",
      (path, userId) => postForm(path, { signed_request: `*${signedFor(userId).slice(1)}` }),
    ],
    [
      "a payload with '!' in it",
      (path, userId) => postForm(path, { signed_request: `${signedFor(userId)}!` }),
    ],
    [
      'a signed_request without the dot',
      (path, userId) => postForm(path, { signed_request: signedFor(userId).replace('.', '') }),
    ],
    ['an empty form', (path) => postForm(path, {})],
    [
      'a form whose field has another name',
      (path, userId) => postForm(path, { signedRequest: signedFor(userId) }),
    ],
    [
      'a payload without user_id',
      (path) =>
        postForm(path, {
          signed_request: signRequest(
            { algorithm: 'HMAC-SHA256', issued_at: nowSeconds() },
            test.appSecret,
          ),
        }),
    ],
    [
      'a payload that is not JSON',
      (path, userId) =>
        postForm(path, {
          signed_request: signEncoded(
            base64url(`algorithm=HMAC-SHA256&user_id=${userId}`),
            test.appSecret,
          ),
        }),
    ],
    [
      'a JSON body with a forged signature instead of the form',
      (path, userId) =>
        test.http
          .post(path)
          .set('content-type', 'application/json')
          .send({ signed_request: signedFor(userId, 'not-the-app-secret-000000') }),
    ],
  ];

  describe('POST /auth/instagram/deauthorize', () => {
    it('revokes the connection named by a valid signed request and erases its token', async () => {
      const { igUserId } = await connect();
      expect((await reveal(igUserId)).status).toBe(200);
      test.emulator.resetCalls();

      const response = await postForm(DEAUTHORIZE, { signed_request: signedFor(igUserId) });

      expect(response.status).toBe(200);
      const connection = await test.http
        .get(`/tokens/${igUserId}`)
        .set(bearer(API_KEY.tokensRead))
        .expect(200);
      expect(connection.body.status).toBe('revoked');
      expect(await stored(igUserId)).toMatchObject({
        status: 'revoked',
        token_ciphertext: null,
        token_key_id: null,
      });
      expectProblem(await reveal(igUserId), 409, 'connection_not_active');
      const user = await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead));
      expectProblem(user, 409, 'connection_not_active');
      expect(test.emulator.calls).toHaveLength(0);

      const revoked = await test.http
        .get('/tokens')
        .query({ status: 'revoked', limit: 100 })
        .set(bearer(API_KEY.tokensRead))
        .expect(200);
      expect(revoked.body.items.map((item: { igUserId: string }) => item.igUserId)).toContain(
        igUserId,
      );
    });

    it.each<['appScopedId' | 'professionalId', string]>([
      ['appScopedId', "/me's id"],
      ['professionalId', "/me's user_id"],
    ])('revokes the connection when user_id is the account %s (%s)', async (idName) => {
      const { igUserId, account } = await connect();
      // Learnt from /me at connect time, so Meta may name the account by either.
      expect(await stored(igUserId)).toMatchObject({
        status: 'active',
        app_scoped_id: account.appScopedId,
        professional_id: account.professionalId,
      });
      expect(account[idName]).not.toBe(igUserId);

      const response = await postForm(DEAUTHORIZE, { signed_request: signedFor(account[idName]) });

      expect(response.status).toBe(200);
      expect(await stored(igUserId)).toMatchObject({
        status: 'revoked',
        token_ciphertext: null,
        token_key_id: null,
      });
      expectProblem(await reveal(igUserId), 409, 'connection_not_active');
    });

    it('answers 200 to an account it does not hold and changes no connection', async () => {
      const { igUserId } = await connect();
      const before = await stored(igUserId);

      const response = await postForm(DEAUTHORIZE, { signed_request: signedFor(UNKNOWN_USER_ID) });

      expect(response.status).toBe(200);
      const after = await stored(igUserId);
      expect(after?.status).toBe('active');
      expect(after?.token_ciphertext?.equals(before?.token_ciphertext as Buffer)).toBe(true);
      expect((await reveal(igUserId)).status).toBe(200);
    });

    it('answers 200 again to a repeated deauthorize of a revoked connection', async () => {
      const { igUserId } = await connect();
      const signed = signedFor(igUserId);
      expect((await postForm(DEAUTHORIZE, { signed_request: signed })).status).toBe(200);

      const again = await postForm(DEAUTHORIZE, { signed_request: signed });

      expect(again.status).toBe(200);
      expect((await stored(igUserId))?.status).toBe('revoked');
    });

    describe('refuses with 400 invalid_signed_request and changes nothing', () => {
      let igUserId: string;
      let ciphertext: Buffer;

      beforeAll(async () => {
        ({ igUserId } = await connect());
        ciphertext = (await stored(igUserId))?.token_ciphertext as Buffer;
      });

      it.each(REFUSALS)('%s', async (_name, send) => {
        const response = await send(DEAUTHORIZE, igUserId);

        expectProblem(response, 400, 'invalid_signed_request');
        const row = await stored(igUserId);
        expect(row?.status).toBe('active');
        expect(row?.token_key_id).not.toBeNull();
        expect(row?.token_ciphertext?.equals(ciphertext)).toBe(true);
        expect((await reveal(igUserId)).status).toBe(200);
      });
    });
  });

  describe('POST /auth/instagram/data-deletion', () => {
    it("deletes the connection and its reveal audit, and answers the status URL on the redirect URI's origin", async () => {
      const { igUserId } = await connect();
      expect((await reveal(igUserId)).status).toBe(200);
      expect(await countReveals(igUserId)).toBe(1);

      const response = await postForm(DATA_DELETION, { signed_request: signedFor(igUserId) });

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(response.body).sort()).toEqual(['confirmation_code', 'url']);
      const code = response.body.confirmation_code as string;
      expect(code).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
      expect(response.body.url).toBe(`${PUBLIC_ORIGIN}${DATA_DELETION}/${code}`);
      expect(PUBLIC_ORIGIN).toBe('https://vault.test');

      expect(await countConnections(test, igUserId)).toBe(0);
      expect(await countReveals(igUserId)).toBe(0);
      expectProblem(
        await test.http.get(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensRead)),
        404,
        'connection_not_found',
      );
    });

    it.each<['appScopedId' | 'professionalId']>([['appScopedId'], ['professionalId']])(
      'deletes the connection when user_id is the account %s',
      async (idName) => {
        const { igUserId, account } = await connect();
        expect(await stored(igUserId)).toMatchObject({
          app_scoped_id: account.appScopedId,
          professional_id: account.professionalId,
        });
        expect((await reveal(igUserId)).status).toBe(200);

        const response = await postForm(DATA_DELETION, {
          signed_request: signedFor(account[idName]),
        });

        expect(response.status).toBe(200);
        expect(await countConnections(test, igUserId)).toBe(0);
        expect(await countReveals(igUserId)).toBe(0);
      },
    );

    it('gives each request its own confirmation code', async () => {
      // Both signed before either is sent: a second boundary between the two posts must not
      // make the second request the same as the first.
      const issuedAt = nowSeconds();
      const [firstRequest, secondRequest] = [issuedAt, issuedAt - 1].map((at) =>
        signRequest(
          { algorithm: 'HMAC-SHA256', issued_at: at, user_id: UNKNOWN_USER_ID },
          test.appSecret,
        ),
      );
      const first = await postForm(DATA_DELETION, { signed_request: firstRequest });
      const second = await postForm(DATA_DELETION, { signed_request: secondRequest });

      expect([first.status, second.status]).toEqual([200, 200]);
      expect(first.body.confirmation_code).not.toBe(second.body.confirmation_code);
    });

    it('leaves the connections of other accounts alone', async () => {
      const bystander = await connect();
      const { igUserId } = await connect();

      expect((await postForm(DATA_DELETION, { signed_request: signedFor(igUserId) })).status).toBe(
        200,
      );

      expect(await countConnections(test, igUserId)).toBe(0);
      expect((await stored(bystander.igUserId))?.status).toBe('active');
      expect((await reveal(bystander.igUserId)).status).toBe(200);
    });

    describe('refuses with 400 invalid_signed_request and deletes nothing', () => {
      let igUserId: string;

      beforeAll(async () => {
        ({ igUserId } = await connect());
        expect((await reveal(igUserId)).status).toBe(200);
      });

      it.each(REFUSALS)('%s', async (_name, send) => {
        const requestsBefore = await countDeletionRequests(test);

        const response = await send(DATA_DELETION, igUserId);

        expectProblem(response, 400, 'invalid_signed_request');
        expect(response.body.confirmation_code).toBeUndefined();
        expect((await stored(igUserId))?.status).toBe('active');
        expect((await stored(igUserId))?.token_ciphertext).not.toBeNull();
        expect(await countReveals(igUserId)).toBeGreaterThanOrEqual(1);
        expect(await countDeletionRequests(test)).toBe(requestsBefore);
      });
    });
  });

  describe('GET /auth/instagram/data-deletion/:confirmationCode', () => {
    let statusPath: string;
    let code: string;

    beforeAll(async () => {
      const { igUserId } = await connect();
      const response = await postForm(DATA_DELETION, { signed_request: signedFor(igUserId) });
      expect(response.status).toBe(200);
      code = response.body.confirmation_code as string;
      statusPath = new URL(response.body.url as string).pathname;
    });

    it('reports the deletion as completed, in JSON', async () => {
      const response = await test.http.get(statusPath);

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(response.body).sort()).toEqual(
        ['completedAt', 'confirmationCode', 'requestedAt', 'status'].sort(),
      );
      expect(response.body).toEqual({
        confirmationCode: code,
        status: 'completed',
        requestedAt: anIsoDate(),
        completedAt: anIsoDate(),
      });
      const requestedAt = Date.parse(response.body.requestedAt as string);
      expect(Math.abs(Date.now() - requestedAt)).toBeLessThan(60_000);
      expect(Date.parse(response.body.completedAt as string)).toBeGreaterThanOrEqual(requestedAt);
    });

    it('shows a person an HTML page naming the code when the browser asks for HTML', async () => {
      const response = await test.http
        .get(statusPath)
        .set('Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8');

      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.text).toContain(code);
      expect(response.text).toMatch(/completed/i);
    });

    it('answers on another replica, since the deletion is stored in the database', async () => {
      const replica = await startTestApp({}, { peer: test });
      try {
        const response = await replica.http.get(statusPath);

        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({ confirmationCode: code, status: 'completed' });
      } finally {
        await replica.close();
      }
    });

    it.each([
      ['an unknown code', `${DATA_DELETION}/${randomBytes(12).toString('base64url')}`],
      ['a code with characters no code has', `${DATA_DELETION}/not%20a%20code%27%3B`],
    ])('answers 404 deletion_request_not_found to %s', async (_name, path) => {
      expectProblem(await test.http.get(path), 404, 'deletion_request_not_found');
    });
  });

  it('serves the callbacks and the status page without an API key', async () => {
    const { igUserId } = await connect();
    const { igUserId: otherId } = await connect();

    const deauthorize = await postForm(DEAUTHORIZE, { signed_request: signedFor(igUserId) });
    const deletion = await postForm(DATA_DELETION, { signed_request: signedFor(otherId) });
    const status = await test.http.get(
      `${DATA_DELETION}/${deletion.body.confirmation_code as string}`,
    );

    expect([deauthorize.status, deletion.status, status.status]).toEqual([200, 200, 200]);
    // The internal routes still demand one.
    expectProblem(await test.http.get(`/tokens/${igUserId}`), 401, 'unauthorized');
  });
});
