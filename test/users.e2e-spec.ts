import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Response } from 'supertest';
import type { EmulatorFault, InstagramEmulator } from '../src/emulator/instagram-emulator.js';
import { expectProblem } from './support/assertions.js';
import { connectionRow } from './support/connections.js';
import { connectAccount } from './support/oauth.js';
import { API_KEY, bearer, useTestApp } from './support/test-app.js';
import { getConnection } from './support/vault-api.js';

const USER_KEYS = [
  'igUserId',
  'username',
  'name',
  'accountType',
  'profilePictureUrl',
  'followersCount',
  'followsCount',
  'mediaCount',
].sort();

function uniqueUsername(): string {
  return `usr_${randomBytes(5).toString('hex')}`;
}

/**
 * The paths the emulator is asked for from now on. Its calls log names operations, not paths,
 * and the app's log lines are no help here: nestjs-pino keeps one root logger per process, so
 * a second app in a spec file logs into the first app's stream.
 */
function recordRequestPaths(emulator: InstagramEmulator): string[] {
  const paths: string[] = [];
  const server = (emulator as unknown as { server: Server }).server;
  server.on('request', (request: IncomingMessage) => {
    paths.push(new URL(request.url ?? '/', 'http://emulator.invalid').pathname);
  });
  return paths;
}

describe('GET /users/:igUserId', () => {
  const test = useTestApp();

  function readUser(igUserId: string, secret: string = API_KEY.usersRead): Promise<Response> {
    return test.http.get(`/users/${igUserId}`).set(bearer(secret));
  }

  it('answers the user node of the account, keyed by the id of the code exchange', async () => {
    const account = test.emulator.createAccount({
      username: uniqueUsername(),
      name: 'Ada Lovelace',
      accountType: 'MEDIA_CREATOR',
      profilePictureUrl: 'https://cdn.instagram.test/ada.jpg',
      followersCount: 123456,
      followsCount: 321,
      mediaCount: 77,
    });
    const { igUserId } = await connectAccount(test, { username: account.username });
    expect(igUserId).toBe(account.userId);
    test.emulator.resetCalls();

    const response = await readUser(igUserId);

    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(USER_KEYS);
    expect(response.body).toEqual({
      igUserId: account.userId,
      username: account.username,
      name: 'Ada Lovelace',
      accountType: 'MEDIA_CREATOR',
      profilePictureUrl: 'https://cdn.instagram.test/ada.jpg',
      followersCount: 123456,
      followsCount: 321,
      mediaCount: 77,
    });
    expect(response.body.igUserId).not.toBe(account.appScopedId);
    expect(response.body.igUserId).not.toBe(account.professionalId);
    expect(response.text).not.toMatch(/IGAA/);
    expect(test.emulator.calls.map((call) => [call.operation, call.status])).toEqual([['me', 200]]);

    const row = await connectionRow(test, igUserId);
    expect(row?.app_scoped_id).toBe(account.appScopedId);
    expect(row?.professional_id).toBe(account.professionalId);
  });

  it('learns the username and both other ids, exactly, on the first read when the read after connecting failed', async () => {
    const account = test.emulator.createAccount({ username: uniqueUsername() });
    test.emulator.injectFault({ operation: 'me', kind: 'unavailable' });
    const { igUserId } = await connectAccount(test, { username: account.username });
    expect(await connectionRow(test, igUserId)).toMatchObject({
      username: null,
      app_scoped_id: null,
      professional_id: null,
    });

    const response = await readUser(igUserId);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ igUserId: account.userId, username: account.username });
    expect(await connectionRow(test, igUserId)).toMatchObject({
      status: 'active',
      username: account.username,
      app_scoped_id: account.appScopedId,
      professional_id: account.professionalId,
    });
  });

  it('marks the connection invalid when Instagram rejects the token, then stops calling Instagram', async () => {
    const { igUserId } = await connectAccount(test);
    test.emulator.revokeAccount(igUserId);
    test.emulator.resetCalls();

    const rejected = await readUser(igUserId);

    expectProblem(rejected, 409, 'instagram_token_invalid');
    expect(rejected.text).not.toMatch(/IGAA/);
    expect(test.emulator.calls.map((call) => call.operation)).toEqual(['me']);
    expect((await connectionRow(test, igUserId))?.status).toBe('invalid');
    expect((await getConnection(test, igUserId)).status).toBe('invalid');

    test.emulator.resetCalls();
    const again = await readUser(igUserId);
    expectProblem(again, 409, 'connection_not_active');
    expect(test.emulator.calls).toHaveLength(0);
  });

  it('keeps a re-consented connection active when a 190 for its old token arrives late', async () => {
    const account = test.emulator.createAccount();
    const { igUserId } = await connectAccount(test, { username: account.username });
    test.emulator.revokeAccount(account.userId);
    test.emulator.injectFault({ operation: 'me', kind: 'delay', ms: 1000 });
    // supertest sends on then(); start the read now, before the re-consent.
    const staleRead = test.http
      .get(`/users/${igUserId}`)
      .set(bearer(API_KEY.usersRead))
      .then((response) => response);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await connectAccount(test, { username: account.username });

    const response = await staleRead;
    expect(response.status).toBe(409);
    expect(response.body.code).toBe('instagram_token_invalid');
    expect((await getConnection(test, igUserId)).status).toBe('active');
  });

  describe('when Instagram fails', () => {
    let igUserId: string;

    beforeAll(async () => {
      ({ igUserId } = await connectAccount(test));
    });

    it.each<[string, number, string, EmulatorFault]>([
      ['unavailable', 503, 'instagram_unavailable', { operation: 'me', kind: 'unavailable' }],
      [
        'too slow to answer',
        504,
        'instagram_timeout',
        { operation: 'me', kind: 'delay', ms: 2500 },
      ],
      [
        'answering 200 with HTML',
        502,
        'instagram_bad_response',
        { operation: 'me', kind: 'http', status: 200, body: '<html>', contentType: 'text/html' },
      ],
    ])(
      'answers Instagram %s with %i %s and leaves the connection active',
      async (_name, status, code, fault) => {
        test.emulator.injectFault(fault);

        const response = await readUser(igUserId);

        expectProblem(response, status, code);
        expect(response.text).not.toMatch(/IGAA/);
        expect((await connectionRow(test, igUserId))?.status).toBe('active');
      },
    );

    it('answers a non-JSON 200 sent as JSON with 502 instagram_bad_response', async () => {
      test.emulator.injectFault({ operation: 'me', kind: 'http', status: 200, body: '<html>' });

      const response = await readUser(igUserId);

      expectProblem(response, 502, 'instagram_bad_response');
      expect((await connectionRow(test, igUserId))?.status).toBe('active');
    });

    it('reads normally again once Instagram recovers', async () => {
      const response = await readUser(igUserId);
      expect(response.status).toBe(200);
      expect(response.body.igUserId).toBe(igUserId);
    });
  });

  it('answers 404 connection_not_found for an unknown id without calling Instagram', async () => {
    const response = await readUser('17841400000000007');
    expectProblem(response, 404, 'connection_not_found');
    expect(test.emulator.calls).toHaveLength(0);
  });

  it('refuses an id that is not digits with 400 validation_failed', async () => {
    expectProblem(await readUser('me'), 400, 'validation_failed');
    expectProblem(await readUser('-1'), 400, 'validation_failed');
  });

  it('answers 401 without an API key', async () => {
    const { igUserId } = await connectAccount(test);
    test.emulator.resetCalls();
    expectProblem(await test.http.get(`/users/${igUserId}`), 401, 'unauthorized');
    expect(test.emulator.calls).toHaveLength(0);
  });

  it('answers 403 to a key with only tokens.read', async () => {
    const { igUserId } = await connectAccount(test);
    test.emulator.resetCalls();
    expectProblem(await readUser(igUserId, API_KEY.tokensRead), 403, 'forbidden');
    expect(test.emulator.calls).toHaveLength(0);
  });
});

describe('GET /users/:igUserId with Basic Display fields', () => {
  const test = useTestApp({ INSTAGRAM_USER_FIELDS: 'id,username,account_type,media_count' });

  it('answers null for the fields it did not ask Instagram for', async () => {
    const account = test.emulator.createAccount({
      username: uniqueUsername(),
      accountType: 'PERSONAL',
      mediaCount: 12,
    });
    const { igUserId } = await connectAccount(test, { username: account.username });

    const response = await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead));

    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(USER_KEYS);
    expect(response.body).toEqual({
      igUserId: account.userId,
      username: account.username,
      name: null,
      accountType: 'PERSONAL',
      profilePictureUrl: null,
      followersCount: null,
      followsCount: null,
      mediaCount: 12,
    });
    expect((await connectionRow(test, igUserId))?.app_scoped_id).toBe(account.appScopedId);
  });
});

describe('GET /users/:igUserId with a versioned graph path', () => {
  const test = useTestApp({ INSTAGRAM_GRAPH_VERSION: 'v23.0' });

  it('reads /v23.0/me and answers the user node', async () => {
    const account = test.emulator.createAccount({ username: uniqueUsername(), followersCount: 9 });
    const { igUserId } = await connectAccount(test, { username: account.username });
    test.emulator.resetCalls();
    const graphPaths = recordRequestPaths(test.emulator);

    const response = await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      igUserId: account.userId,
      username: account.username,
      followersCount: 9,
    });
    expect(test.emulator.calls.map((call) => [call.operation, call.status])).toEqual([['me', 200]]);
    expect(graphPaths).toEqual(['/v23.0/me']);
  });
});
