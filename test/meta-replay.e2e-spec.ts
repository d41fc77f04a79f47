import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { backdateConsent, revealAudit } from './support/connections.js';
import { countDeletionRequests, signedRequestIssuedAgo } from './support/meta.js';
import { connectAccount } from './support/oauth.js';
import { API_KEY, bearer, useTestApp } from './support/test-app.js';

const DEAUTHORIZE = '/auth/instagram/deauthorize';
const DATA_DELETION = '/auth/instagram/data-deletion';
const MINUTE = 60;

describe('replayed Meta callbacks', () => {
  const test = useTestApp();

  /** A request as Meta signs it, issued `secondsAgo` before now. */
  function signedBy(userId: string, secondsAgo: number): string {
    return signedRequestIssuedAgo(userId, secondsAgo, test.appSecret);
  }

  function post(path: string, signedRequest: string): Promise<Response> {
    return test.http.post(path).type('form').send({ signed_request: signedRequest });
  }

  /** Connects an account, consenting as if an hour ago (so requests made since are newer). */
  async function connectedAnHourAgo(): Promise<{ igUserId: string; username: string }> {
    const username = `replay_${randomBytes(5).toString('hex')}`;
    const { igUserId } = await connectAccount(test, { username });
    await backdateConsent(test, igUserId, 60);
    return { igUserId, username };
  }

  async function statusOf(igUserId: string): Promise<string | undefined> {
    const response = await test.http.get(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensRead));
    return response.status === 404 ? undefined : (response.body.status as string);
  }

  function deletionRequests(): Promise<number> {
    return countDeletionRequests(test);
  }

  describe('deauthorize', () => {
    it('does not revoke a re-consented connection when a captured request is replayed', async () => {
      const { igUserId, username } = await connectedAnHourAgo();
      const captured = signedBy(igUserId, 30 * MINUTE);
      expect((await post(DEAUTHORIZE, captured)).status).toBe(200);
      expect(await statusOf(igUserId)).toBe('revoked');

      await connectAccount(test, { username });
      const replay = await post(DEAUTHORIZE, captured);

      expect(replay.status).toBe(200);
      expect(replay.body).toEqual({ received: true });
      expect(await statusOf(igUserId)).toBe('active');
      await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal))
        .expect(200);
    });

    it('changes nothing for a request issued before the latest consent, never seen before', async () => {
      const { igUserId } = await connectAccount(test);
      // Issued (and held back) before the person consented a few seconds ago.
      const older = signedBy(igUserId, 5 * MINUTE);

      const response = await post(DEAUTHORIZE, older);

      expect(response.status).toBe(200);
      expect(await statusOf(igUserId)).toBe('active');
      expect(test.logs.join('\n')).toMatch(/issued before the person's latest consent/);
    });

    it('acts once on a request delivered twice at the same moment', async () => {
      const { igUserId } = await connectedAnHourAgo();
      const signed = signedBy(igUserId, MINUTE);

      const answers = await Promise.all([post(DEAUTHORIZE, signed), post(DEAUTHORIZE, signed)]);

      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(await statusOf(igUserId)).toBe('revoked');
      const lines = test.logs.filter((line) => line.includes(igUserId));
      expect(lines.filter((line) => line.includes('deauthorized by Meta'))).toHaveLength(1);
      expect(lines.filter((line) => line.includes('deauthorize already processed'))).toHaveLength(
        1,
      );
    });
  });

  describe('data deletion', () => {
    it('deletes once and answers a replay with the same confirmation code', async () => {
      const { igUserId, username } = await connectedAnHourAgo();
      const captured = signedBy(igUserId, 30 * MINUTE);
      const first = await post(DATA_DELETION, captured);
      expect(first.status).toBe(200);
      expect(await statusOf(igUserId)).toBeUndefined();
      const requests = await deletionRequests();

      const { igUserId: again } = await connectAccount(test, { username });
      await test.http
        .get(`/tokens/${again}/access-token`)
        .set(bearer(API_KEY.tokensReveal))
        .expect(200);
      const replay = await post(DATA_DELETION, captured);

      expect(replay.status).toBe(200);
      expect(replay.body).toEqual(first.body);
      expect(await deletionRequests()).toBe(requests);
      expect(await statusOf(again)).toBe('active');
      expect(await revealAudit(test, again)).toEqual(['revealer']);
    });

    it('keeps a connection consented after a request that arrives late', async () => {
      const { igUserId } = await connectAccount(test);

      const late = await post(DATA_DELETION, signedBy(igUserId, 5 * MINUTE));

      expect(late.status).toBe(200);
      expect(late.body.confirmation_code).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(await statusOf(igUserId)).toBe('active');
    });

    it('answers two copies arriving at once with one code and one deletion', async () => {
      const { igUserId } = await connectedAnHourAgo();
      const signed = signedBy(igUserId, MINUTE);
      const requests = await deletionRequests();

      const answers = await Promise.all([post(DATA_DELETION, signed), post(DATA_DELETION, signed)]);

      expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
      expect(answers[1].body.confirmation_code).toBe(answers[0].body.confirmation_code);
      expect(await deletionRequests()).toBe(requests + 1);
    });
  });

  it('refuses a signed request whose signature is respelled to look new', async () => {
    const { igUserId } = await connectedAnHourAgo();
    const [signature, payload] = signedBy(igUserId, MINUTE).split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = signature.slice(0, -1) + alphabet[alphabet.indexOf(signature.at(-1)!) + 1];

    const response = await post(DEAUTHORIZE, `${respelled}.${payload}`);

    expect(response.status).toBe(400);
    expect(response.body.code).toBe('invalid_signed_request');
    expect(await statusOf(igUserId)).toBe('active');
  });
});
