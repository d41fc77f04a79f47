import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import type { EmulatorOperation } from '../src/emulator/instagram-emulator.js';
import { expectProblem } from './support/assertions.js';
import { callbackPath, connectAccount, consent, startFlow } from './support/oauth.js';
import {
  API_KEY,
  bearer,
  callsTo,
  REDIRECT_URI,
  RETURN_ORIGIN,
  startTestApp,
  type TestApp,
} from './support/test-app.js';
import { getConnection, revealToken } from './support/vault-api.js';
import { waitFor } from './support/wait.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('a consent never moves a connection to another owner', () => {
  const receiver = new WebhookReceiver();
  let test: TestApp;

  beforeAll(async () => {
    await receiver.start();
    test = await startTestApp({
      WEBHOOK_URL: receiver.url,
      WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('hex')}`,
    });
  });

  afterAll(async () => {
    await test?.close();
    await receiver.stop();
  });

  beforeEach(() => {
    test.emulator.clearFaults();
    test.emulator.resetCalls();
  });

  function owner(label: string): string {
    return `${label}-${randomBytes(4).toString('hex')}`;
  }

  function username(): string {
    return `owned_${randomBytes(5).toString('hex')}`;
  }

  async function flowUrl(body: { ownerId?: string; returnTo?: string }): Promise<string> {
    return (await startFlow(test, body)).url;
  }

  async function connectionsOf(ownerId: string): Promise<string[]> {
    const response = await test.http
      .get('/tokens')
      .query({ ownerId })
      .set(bearer(API_KEY.tokensRead))
      .expect(200);
    return (response.body.items as { igUserId: string }[]).map((item) => item.igUserId);
  }

  async function snapshot(igUserId: string): Promise<{ connection: unknown; token: string }> {
    return {
      connection: await getConnection(test, igUserId),
      token: await revealToken(test, igUserId),
    };
  }

  function calls(operation: EmulatorOperation): number {
    return callsTo(test, operation).length;
  }

  it("keeps a victim's account with its owner when the person completes an attacker's flow", async () => {
    const victim = owner('victim');
    const attacker = owner('attacker');
    const name = username();
    const { igUserId } = await connectAccount(test, { ownerId: victim, username: name });
    const before = await snapshot(igUserId);
    test.emulator.resetCalls();

    // The attacker's tenant asks for a flow of its own and sends the link to the victim, who
    // presses Allow on Instagram as the same account.
    const attackerFlow = await flowUrl({
      ownerId: attacker,
      returnTo: `${RETURN_ORIGIN}/attacker/done?status=connected&ig_user_id=${igUserId}`,
    });
    const redirect = await consent(attackerFlow, { username: name });
    const callback = await test.http.get(callbackPath(redirect)).expect(302);

    const back = new URL(callback.headers.location);
    expect([...back.searchParams]).toEqual([
      ['status', 'error'],
      ['error', 'owner_conflict'],
    ]);
    expect(await connectionsOf(victim)).toEqual([igUserId]);
    expect(await connectionsOf(attacker)).toEqual([]);
    // Instagram was asked for a token, but nothing of it was kept or upgraded.
    expect(calls('exchange_code')).toBe(1);
    expect(calls('exchange_long_lived')).toBe(0);
    expect(await snapshot(igUserId)).toEqual(before);

    const event = await waitFor('connection.owner_conflict', () =>
      receiver
        .acceptedFor(igUserId)
        .find((delivery) => delivery.body.type === 'connection.owner_conflict'),
    );
    expect(event.body.data.connection).toMatchObject({ igUserId, ownerId: victim });
    expect(event.body.data.attemptedOwnerId).toBe(attacker);
    expect(event.raw).not.toContain(before.token);
  });

  it('answers 409 owner_conflict without naming the owner when the flow has no return URL', async () => {
    const victim = owner('victim');
    const name = username();
    const { igUserId } = await connectAccount(test, { ownerId: victim, username: name });
    const before = await snapshot(igUserId);

    const redirect = await consent(await flowUrl({ ownerId: owner('attacker') }), {
      username: name,
    });
    const response = await test.http.get(callbackPath(redirect));

    expectProblem(response, 409, 'owner_conflict');
    expect(response.text).not.toContain(victim);
    expect(await snapshot(igUserId)).toEqual(before);
  });

  it('refuses a code exchanged for another owner through the API, changing nothing', async () => {
    const victim = owner('victim');
    const name = username();
    const { igUserId } = await connectAccount(test, { ownerId: victim, username: name });
    const before = await snapshot(igUserId);
    const account = test.emulator.findAccountByUsername(name);
    const code = test.emulator.issueCode({
      appId: test.appId,
      redirectUri: REDIRECT_URI,
      scopes: ['instagram_business_basic'],
      account,
    });

    const response = await test.http
      .post('/auth/instagram/token')
      .set(bearer(API_KEY.tokensWrite))
      .send({ code, ownerId: owner('attacker') });

    expectProblem(response, 409, 'owner_conflict');
    expect(response.text).not.toContain(victim);
    expect(await snapshot(igUserId)).toEqual(before);
  });

  it('lets the same owner consent again, and a flow without an owner keep the owner', async () => {
    const victim = owner('victim');
    const name = username();
    const { igUserId } = await connectAccount(test, { ownerId: victim, username: name });

    const again = await connectAccount(test, { ownerId: victim, username: name });
    const ownerless = await connectAccount(test, { username: name });

    expect([again.igUserId, ownerless.igUserId]).toEqual([igUserId, igUserId]);
    expect(ownerless.body.ownerId).toBe(victim);
    expect(await connectionsOf(victim)).toEqual([igUserId]);
  });

  it('moves an account only when its connection is deleted first', async () => {
    const first = owner('first');
    const second = owner('second');
    const name = username();
    const { igUserId } = await connectAccount(test, { ownerId: first, username: name });

    await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite)).expect(204);
    const moved = await connectAccount(test, { ownerId: second, username: name });

    expect(moved.body).toMatchObject({ igUserId, ownerId: second });
    expect(await connectionsOf(first)).toEqual([]);
  });

  it('lets exactly one of two racing flows for a new account set its owner', async () => {
    const name = username();
    const owners = [owner('racer-a'), owner('racer-b')];
    const redirects = await Promise.all(
      owners.map(async (ownerId) => consent(await flowUrl({ ownerId }), { username: name })),
    );

    const answers: Response[] = await Promise.all(
      redirects.map((redirect) => test.http.get(callbackPath(redirect))),
    );

    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const winner = owners[answers.findIndex((answer) => answer.status === 200)];
    const igUserId = answers.find((answer) => answer.status === 200)?.body.igUserId as string;
    expect(await connectionsOf(winner)).toEqual([igUserId]);
    expect(await connectionsOf(owners.find((ownerId) => ownerId !== winner) as string)).toEqual([]);
  });

  describe('the end of a browser flow without a return URL', () => {
    it('shows the person a page naming the account, and no token, owner or other id', async () => {
      const ownerId = owner('tenant');
      const name = username();
      const redirect = await consent(await flowUrl({ ownerId }), { username: name });

      const page = await test.http.get(callbackPath(redirect)).set('Accept', BROWSER_ACCEPT);

      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain(`@${name}`);
      const { userId: igUserId } = test.emulator.findAccountByUsername(name)!;
      const { token } = await snapshot(igUserId);
      for (const hidden of [ownerId, token, igUserId, redirect.searchParams.get('code')!]) {
        expect(page.text).not.toContain(hidden);
      }
      expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['cache-control']).toBe('no-store');
    });

    it('says in words that the account is connected elsewhere, naming no owner', async () => {
      const victim = owner('victim');
      const name = username();
      await connectAccount(test, { ownerId: victim, username: name });
      const redirect = await consent(await flowUrl({ ownerId: owner('attacker') }), {
        username: name,
      });

      const page = await test.http.get(callbackPath(redirect)).set('Accept', BROWSER_ACCEPT);

      expect(page.status).toBe(409);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toMatch(/already connected elsewhere/);
      expect(page.text).not.toContain(victim);
      expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    });

    it('says in words that a used link cannot be used again', async () => {
      const redirect = await consent(await flowUrl({}));
      await test.http.get(callbackPath(redirect)).expect(200);

      const page = await test.http.get(callbackPath(redirect)).set('Accept', BROWSER_ACCEPT);

      expect(page.status).toBe(400);
      expect(page.text).toMatch(/expired or was already used/);
    });

    it('keeps answering API clients with JSON', async () => {
      const redirect = await consent(await flowUrl({}));

      const response = await test.http
        .get(callbackPath(redirect))
        .set('Accept', 'application/json')
        .expect(200);

      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.body.igUserId).toMatch(/^\d+$/);
    });
  });
});
