import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import type { EmulatorFault } from '../src/emulator/instagram-emulator.js';
import { anIsoDate, expectProblem, ISO_DATE } from './support/assertions.js';
import {
  ageToken,
  allConnectionIds,
  connectionRow,
  type ConnectionRow,
  countConnections,
  countHoldingCiphertext,
  expireToken,
  markInvalid,
  moveSealedToken,
  revealAudit,
  setTokenKeyId,
} from './support/connections.js';
import { connectAccount } from './support/oauth.js';
import { API_KEY, bearer, useTestApp } from './support/test-app.js';
import { getConnection, revealToken } from './support/vault-api.js';

const CONNECTION_KEYS = [
  'igUserId',
  'ownerId',
  'username',
  'scopes',
  'tokenKind',
  'status',
  'expiresAt',
  'lastRefreshedAt',
  'nextRefreshAt',
  'refreshAttempts',
  'lastRefreshError',
  'lastRefreshErrorAt',
  'createdAt',
  'updatedAt',
].sort();

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

function uniqueOwner(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}

function uniqueUsername(): string {
  return `tok_${randomBytes(5).toString('hex')}`;
}

describe('Token vault', () => {
  const test = useTestApp();

  const reveal = (igUserId: string): Promise<string> => revealToken(test, igUserId);

  /** The stored row of a connection the test made. */
  async function storedRow(
    igUserId: string,
  ): Promise<ConnectionRow & { token_ciphertext: Buffer; token_issued_at: Date }> {
    const row = await connectionRow(test, igUserId);
    expect(row).toBeDefined();
    return row as ConnectionRow & { token_ciphertext: Buffer; token_issued_at: Date };
  }

  describe('GET /tokens/:igUserId', () => {
    it('answers the connection in the contract shape, with no token anywhere in it', async () => {
      const ownerId = uniqueOwner('get');
      const username = uniqueUsername();
      const { igUserId } = await connectAccount(test, { ownerId, username });

      const response = await test.http
        .get(`/tokens/${igUserId}`)
        .set(bearer(API_KEY.tokensRead))
        .expect(200);

      expect(Object.keys(response.body).sort()).toEqual(CONNECTION_KEYS);
      expect(response.body).toEqual({
        igUserId,
        ownerId,
        username,
        scopes: ['instagram_business_basic'],
        tokenKind: 'long_lived',
        status: 'active',
        expiresAt: anIsoDate(),
        lastRefreshedAt: null,
        nextRefreshAt: anIsoDate(),
        refreshAttempts: 0,
        lastRefreshError: null,
        lastRefreshErrorAt: null,
        createdAt: anIsoDate(),
        updatedAt: anIsoDate(),
      });
      // The sweep refreshes it seven days (REFRESH_AHEAD_SECONDS) before it ends.
      expect(
        Date.parse(response.body.expiresAt as string) -
          Date.parse(response.body.nextRefreshAt as string),
      ).toBe(7 * DAY_MS);
      const expiresIn = Date.parse(response.body.expiresAt as string) - Date.now();
      expect(expiresIn).toBeGreaterThan(59 * DAY_MS);
      expect(expiresIn).toBeLessThanOrEqual(60 * DAY_MS);

      const accessToken = await reveal(igUserId);
      expect(response.text).not.toContain(accessToken);
      expect(response.text).not.toMatch(/IGAA|token_?ciphertext|tokenKeyId/i);
    });

    it('answers 404 connection_not_found for an unknown id', async () => {
      const response = await test.http
        .get('/tokens/17841400000000001')
        .set(bearer(API_KEY.tokensRead));
      expectProblem(response, 404, 'connection_not_found');
    });

    it('refuses an id that is not digits with 400 validation_failed', async () => {
      const response = await test.http.get('/tokens/abc123').set(bearer(API_KEY.tokensRead));
      expectProblem(response, 400, 'validation_failed');
    });

    it('answers 401 without an API key and 401 for an unknown one', async () => {
      const { igUserId } = await connectAccount(test);
      expectProblem(await test.http.get(`/tokens/${igUserId}`), 401, 'unauthorized');
      expectProblem(
        await test.http.get(`/tokens/${igUserId}`).set(bearer('not-a-configured-secret-000')),
        401,
        'unauthorized',
      );
    });

    it('answers 403 forbidden to a key without tokens.read', async () => {
      const { igUserId } = await connectAccount(test);
      const response = await test.http.get(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite));
      expectProblem(response, 403, 'forbidden');
      expect(response.body.igUserId).toBeUndefined();
    });
  });

  describe('GET /tokens', () => {
    let ownerA: string;
    let ownerB: string;
    let idsA: string[];
    let idsB: string[];
    let invalidId: string;

    beforeAll(async () => {
      ownerA = uniqueOwner('list-a');
      ownerB = uniqueOwner('list-b');
      idsA = [];
      idsB = [];
      for (let i = 0; i < 3; i++) {
        idsA.push((await connectAccount(test, { ownerId: ownerA })).igUserId);
      }
      for (let i = 0; i < 2; i++) {
        idsB.push((await connectAccount(test, { ownerId: ownerB })).igUserId);
      }
      invalidId = idsA[1];
      await markInvalid(test, invalidId);
    });

    async function list(query: Record<string, string | number>): Promise<Response> {
      return test.http.get('/tokens').query(query).set(bearer(API_KEY.tokensRead));
    }

    it('filters by ownerId', async () => {
      const response = await list({ ownerId: ownerA });
      expect(response.status).toBe(200);
      expect(response.body.items.map((item: { igUserId: string }) => item.igUserId)).toEqual(
        [...idsA].sort(),
      );
      expect(response.body.nextCursor).toBeNull();
      for (const item of response.body.items as Record<string, unknown>[]) {
        expect(Object.keys(item).sort()).toEqual(CONNECTION_KEYS);
        expect(item.ownerId).toBe(ownerA);
      }
    });

    it('filters by status, alone and together with ownerId', async () => {
      const invalidOfA = await list({ ownerId: ownerA, status: 'invalid' });
      expect(invalidOfA.status).toBe(200);
      expect(invalidOfA.body.items).toEqual([
        expect.objectContaining({ igUserId: invalidId, status: 'invalid' }),
      ]);

      const activeOfA = await list({ ownerId: ownerA, status: 'active' });
      expect(activeOfA.body.items.map((item: { igUserId: string }) => item.igUserId)).toEqual(
        idsA.filter((id) => id !== invalidId).sort(),
      );

      const activeOfB = await list({ ownerId: ownerB, status: 'active' });
      expect(activeOfB.body.items.map((item: { igUserId: string }) => item.igUserId)).toEqual(
        [...idsB].sort(),
      );

      const allInvalid = await list({ status: 'invalid', limit: 100 });
      const invalidIds = allInvalid.body.items.map((item: { igUserId: string }) => item.igUserId);
      expect(invalidIds).toContain(invalidId);
      expect(invalidIds).not.toContain(idsA[0]);
      expect(
        allInvalid.body.items.every((item: { status: string }) => item.status === 'invalid'),
      ).toBe(true);
    });

    it('walks every connection exactly once, two at a time, through nextCursor', async () => {
      const expected = await allConnectionIds(test);
      expect(expected.length).toBeGreaterThanOrEqual(5);

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const response: Response = await list(
          cursor === null ? { limit: 2 } : { limit: 2, cursor },
        );
        expect(response.status).toBe(200);
        const ids = response.body.items.map(
          (item: { igUserId: string }) => item.igUserId,
        ) as string[];
        expect(ids.length).toBeLessThanOrEqual(2);
        seen.push(...ids);
        cursor = response.body.nextCursor as string | null;
        pages += 1;
        if (cursor !== null) {
          expect(ids).toHaveLength(2);
        }
        expect(pages).toBeLessThanOrEqual(expected.length);
      } while (cursor !== null);

      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 2) || 1);
    });

    it('pages through one owner and ends with a null nextCursor', async () => {
      const first = await list({ ownerId: ownerA, limit: 2 });
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      expect(typeof first.body.nextCursor).toBe('string');

      const second = await list({
        ownerId: ownerA,
        limit: 2,
        cursor: first.body.nextCursor as string,
      });
      expect(second.status).toBe(200);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.nextCursor).toBeNull();

      const walked = [...first.body.items, ...second.body.items].map(
        (item: { igUserId: string }) => item.igUserId,
      );
      expect(walked).toEqual([...idsA].sort());
    });

    it.each([
      ['limit 0', { limit: '0' }],
      ['limit 101', { limit: '101' }],
      ['a limit that is not a number', { limit: 'x' }],
      ['an unknown status', { status: 'sleeping' }],
      ['a cursor with characters no cursor has', { cursor: '%%%not*a*cursor' }],
      [
        'a well-formed cursor this service never issued',
        { cursor: Buffer.from('not-an-id').toString('base64url') },
      ],
      ['an unknown query parameter', { sort: 'desc' }],
    ])('refuses %s with 400 validation_failed', async (_name, query) => {
      const response = await list(query);
      expectProblem(response, 400, 'validation_failed');
    });

    it('answers 401 without a key and 403 to a key without tokens.read', async () => {
      expectProblem(await test.http.get('/tokens'), 401, 'unauthorized');
      expectProblem(
        await test.http.get('/tokens').set(bearer(API_KEY.tokensReveal)),
        403,
        'forbidden',
      );
    });

    it('lists a lapsed active connection under expired, not active', async () => {
      const ownerId = `lapsed-${Date.now()}`;
      const { igUserId } = await connectAccount(test, { ownerId });
      await expireToken(test, igUserId);
      const active = await test.http
        .get(`/tokens?status=active&ownerId=${ownerId}`)
        .set(bearer(API_KEY.tokensRead))
        .expect(200);
      expect(active.body.items).toEqual([]);
      const expired = await test.http
        .get(`/tokens?status=expired&ownerId=${ownerId}`)
        .set(bearer(API_KEY.tokensRead))
        .expect(200);
      expect(
        expired.body.items.map((item: { igUserId: string; status: string }) => [
          item.igUserId,
          item.status,
        ]),
      ).toEqual([[igUserId, 'expired']]);
    });
  });

  describe('GET /tokens/:igUserId/access-token', () => {
    it("reveals Instagram's current long-lived token and audits each reveal", async () => {
      const { igUserId } = await connectAccount(test);
      const shortLivedToken = test.emulator.calls.find(
        (call) => call.operation === 'exchange_long_lived',
      )?.accessToken as string;
      expect(test.emulator.inspectToken(shortLivedToken)?.kind).toBe('short_lived');

      const first = await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal))
        .expect(200);

      expect(Object.keys(first.body).sort()).toEqual(['accessToken', 'expiresAt', 'igUserId']);
      expect(first.body.igUserId).toBe(igUserId);
      expect(first.body.expiresAt).toMatch(ISO_DATE);
      const accessToken = first.body.accessToken as string;
      expect(test.emulator.inspectToken(accessToken)).toMatchObject({
        kind: 'long_lived',
        userId: igUserId,
        revoked: false,
      });
      expect(accessToken).not.toBe(shortLivedToken);
      expect(test.emulator.inspectToken(accessToken)?.issuedAt).toBeGreaterThanOrEqual(
        test.emulator.inspectToken(shortLivedToken)?.issuedAt as number,
      );
      expect(await revealAudit(test, igUserId)).toEqual(['revealer']);

      const second = await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal))
        .expect(200);
      expect(second.body.accessToken).toBe(accessToken);
      expect(await revealAudit(test, igUserId)).toEqual(['revealer', 'revealer']);
    });

    it('answers 403 to a tokens.read key and audits nothing', async () => {
      const { igUserId } = await connectAccount(test);
      const response = await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensRead));
      expectProblem(response, 403, 'forbidden');
      expect(response.text).not.toMatch(/IGAA/);
      expect(await revealAudit(test, igUserId)).toEqual([]);
    });

    it('answers 404 connection_not_found for an unknown id', async () => {
      const response = await test.http
        .get('/tokens/17841400000000003/access-token')
        .set(bearer(API_KEY.tokensReveal));
      expectProblem(response, 404, 'connection_not_found');
    });

    it('refuses to reveal the token of an invalid connection with 409 connection_not_active', async () => {
      const { igUserId } = await connectAccount(test);
      await markInvalid(test, igUserId);

      const response = await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal));

      expectProblem(response, 409, 'connection_not_active');
      expect(response.text).not.toMatch(/IGAA/);
      expect(await revealAudit(test, igUserId)).toEqual([]);
    });

    it('refuses a token past its expiry with 409 and stores the connection as expired', async () => {
      const { igUserId } = await connectAccount(test);
      await expireToken(test, igUserId);

      const response = await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal));

      expectProblem(response, 409, 'connection_not_active');
      expect(response.text).not.toMatch(/IGAA/);
      expect((await storedRow(igUserId)).status).toBe('expired');
      expect((await getConnection(test, igUserId)).status).toBe('expired');
    });

    it('answers 500 encryption_key_missing when the token was sealed under a key no longer configured', async () => {
      const { igUserId } = await connectAccount(test);
      const accessToken = await reveal(igUserId);
      await setTokenKeyId(test, igUserId, 'gone');

      const response = await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal));

      expectProblem(response, 500, 'encryption_key_missing');
      expect(response.text).not.toContain(accessToken);
      expect(response.text).not.toMatch(/IGAA/);
    });

    it('refuses a ciphertext moved from another connection with a 500 that says nothing of the token', async () => {
      const donor = await connectAccount(test);
      const target = await connectAccount(test);
      const donorToken = await reveal(donor.igUserId);
      const targetToken = await reveal(target.igUserId);
      await moveSealedToken(test, donor.igUserId, target.igUserId);

      const response = await test.http
        .get(`/tokens/${target.igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal));

      expectProblem(response, 500, 'internal_error');
      expect(response.body.accessToken).toBeUndefined();
      expect(response.text).not.toContain(donorToken);
      expect(response.text).not.toContain(targetToken);
      expect(response.text).not.toMatch(/IGAA/);
    });
  });

  describe('POST /tokens/:igUserId/refresh', () => {
    it('refuses a long-lived token younger than 24 hours with 409 and Retry-After, without calling Instagram', async () => {
      const { igUserId } = await connectAccount(test);
      const before = await storedRow(igUserId);
      test.emulator.resetCalls();

      const response = await test.http
        .post(`/tokens/${igUserId}/refresh`)
        .set(bearer(API_KEY.tokensWrite));

      expectProblem(response, 409, 'refresh_not_allowed');
      const retryAfter = Number(response.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(23 * 3600);
      expect(retryAfter).toBeLessThanOrEqual(24 * 3600);
      expect(test.emulator.calls).toHaveLength(0);
      expect((await storedRow(igUserId)).token_ciphertext.equals(before.token_ciphertext)).toBe(
        true,
      );
    });

    it('renews a long-lived token at least 24 hours old and stores the new one', async () => {
      const { igUserId } = await connectAccount(test);
      const oldToken = await reveal(igUserId);
      await ageToken(test, igUserId);
      test.emulator.resetCalls();

      const response = await test.http
        .post(`/tokens/${igUserId}/refresh`)
        .set(bearer(API_KEY.tokensWrite))
        .expect(200);

      expect(Object.keys(response.body).sort()).toEqual(CONNECTION_KEYS);
      expect(response.body).toMatchObject({ igUserId, tokenKind: 'long_lived', status: 'active' });
      expect(response.text).not.toMatch(/IGAA/);
      const lastRefreshedAt = Date.parse(response.body.lastRefreshedAt as string);
      expect(Math.abs(Date.now() - lastRefreshedAt)).toBeLessThan(60_000);
      const expiresAt = Date.parse(response.body.expiresAt as string);
      expect(Math.abs(expiresAt - (Date.now() + 60 * DAY_MS))).toBeLessThan(5 * 60_000);

      expect(
        test.emulator.calls.map((call) => [call.operation, call.status, call.accessToken]),
      ).toEqual([['refresh', 200, oldToken]]);
      const newToken = await reveal(igUserId);
      expect(newToken).not.toBe(oldToken);
      expect(test.emulator.inspectToken(newToken)).toMatchObject({
        kind: 'long_lived',
        userId: igUserId,
      });

      const stored = await test.http
        .get(`/tokens/${igUserId}`)
        .set(bearer(API_KEY.tokensRead))
        .expect(200);
      expect(stored.body.lastRefreshedAt).toBe(response.body.lastRefreshedAt);
      expect(stored.body.expiresAt).toBe(response.body.expiresAt);
    });

    it('marks the connection invalid when Instagram rejects the token, then stops calling Instagram', async () => {
      const { igUserId } = await connectAccount(test);
      await ageToken(test, igUserId);
      test.emulator.revokeAccount(igUserId);
      test.emulator.resetCalls();

      const rejected = await test.http
        .post(`/tokens/${igUserId}/refresh`)
        .set(bearer(API_KEY.tokensWrite));

      expectProblem(rejected, 409, 'instagram_token_invalid');
      expect(rejected.text).not.toMatch(/IGAA/);
      expect(test.emulator.calls.map((call) => call.operation)).toEqual(['refresh']);
      expect((await getConnection(test, igUserId)).status).toBe('invalid');

      test.emulator.resetCalls();
      const again = await test.http
        .post(`/tokens/${igUserId}/refresh`)
        .set(bearer(API_KEY.tokensWrite));
      expectProblem(again, 409, 'connection_not_active');
      expect(test.emulator.calls).toHaveLength(0);
    });

    it.each<[string, number, string, EmulatorFault]>([
      ['unavailable', 503, 'instagram_unavailable', { operation: 'refresh', kind: 'unavailable' }],
      [
        'too slow to answer',
        504,
        'instagram_timeout',
        { operation: 'refresh', kind: 'delay', ms: 2500 },
      ],
    ])(
      'answers Instagram %s with %i %s and keeps the stored token',
      async (_name, status, code, fault) => {
        const { igUserId } = await connectAccount(test);
        const tokenBefore = await reveal(igUserId);
        await ageToken(test, igUserId);
        const before = await storedRow(igUserId);
        test.emulator.injectFault(fault);

        const response = await test.http
          .post(`/tokens/${igUserId}/refresh`)
          .set(bearer(API_KEY.tokensWrite));

        expectProblem(response, status, code);
        const after = await storedRow(igUserId);
        expect(after.status).toBe('active');
        expect(after.token_ciphertext.equals(before.token_ciphertext)).toBe(true);
        expect(after.token_issued_at.getTime()).toBe(before.token_issued_at.getTime());
        expect(await reveal(igUserId)).toBe(tokenBefore);
      },
    );

    it('answers 404 connection_not_found for an unknown id without calling Instagram', async () => {
      const response = await test.http
        .post('/tokens/17841400000000005/refresh')
        .set(bearer(API_KEY.tokensWrite));
      expectProblem(response, 404, 'connection_not_found');
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('answers 403 to a key without tokens.write', async () => {
      const { igUserId } = await connectAccount(test);
      test.emulator.resetCalls();
      const response = await test.http
        .post(`/tokens/${igUserId}/refresh`)
        .set(bearer(API_KEY.tokensRead));
      expectProblem(response, 403, 'forbidden');
      expect(test.emulator.calls).toHaveLength(0);
    });

    it('lets one of two simultaneous refreshes call Instagram and answers the other refresh_in_progress', async () => {
      const { igUserId } = await connectAccount(test);
      await ageToken(test, igUserId);
      test.emulator.injectFault({ operation: 'refresh', kind: 'delay', ms: 300 });
      test.emulator.resetCalls();
      const [first, second] = await Promise.all([
        test.http.post(`/tokens/${igUserId}/refresh`).set(bearer(API_KEY.tokensWrite)),
        test.http.post(`/tokens/${igUserId}/refresh`).set(bearer(API_KEY.tokensWrite)),
      ]);
      expect([first.status, second.status].sort()).toEqual([200, 409]);
      const refused = first.status === 409 ? first : second;
      expect(refused.body.code).toBe('refresh_in_progress');
      expect(test.emulator.calls.filter((call) => call.operation === 'refresh')).toHaveLength(1);
    });
  });

  describe('DELETE /tokens/:igUserId', () => {
    it('deletes the connection and its token material, answering 204 with no body', async () => {
      const { igUserId } = await connectAccount(test);
      const { token_ciphertext: ciphertext } = await storedRow(igUserId);

      const response = await test.http
        .delete(`/tokens/${igUserId}`)
        .set(bearer(API_KEY.tokensWrite));

      expect(response.status).toBe(204);
      expect(response.text ?? '').toBe('');
      expectProblem(
        await test.http.get(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensRead)),
        404,
        'connection_not_found',
      );
      expect(await countConnections(test, igUserId)).toBe(0);
      expect(await countHoldingCiphertext(test, ciphertext)).toBe(0);
    });

    it('answers 404 connection_not_found to a second delete', async () => {
      const { igUserId } = await connectAccount(test);
      await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite)).expect(204);

      const again = await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite));

      expectProblem(again, 404, 'connection_not_found');
    });

    it('answers 403 to a tokens.read key and keeps the connection', async () => {
      const { igUserId } = await connectAccount(test);

      const response = await test.http
        .delete(`/tokens/${igUserId}`)
        .set(bearer(API_KEY.tokensRead));

      expectProblem(response, 403, 'forbidden');
      expect(await countConnections(test, igUserId)).toBe(1);
      expect((await connectionRow(test, igUserId))?.token_ciphertext).toBeInstanceOf(Buffer);
    });

    it('refuses an id that is not digits with 400 validation_failed', async () => {
      const response = await test.http.delete('/tokens/12ab').set(bearer(API_KEY.tokensWrite));
      expectProblem(response, 400, 'validation_failed');
    });
  });
});
