import { connectAccount } from './support/oauth.js';
import {
  API_KEY,
  bearer,
  callsTo,
  startTestApp,
  type TestApp,
  useTestApp,
} from './support/test-app.js';

describe('GET /users/:igUserId under concurrent reads of one account', () => {
  // Room for a slow answer that every one of the reads arrives during.
  const test = useTestApp({ INSTAGRAM_TIMEOUT_MS: '10000' });
  const read = (igUserId: string) =>
    test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead));

  it('shares one call to Instagram among 200 concurrent reads, each getting the same answer', async () => {
    const { igUserId } = await connectAccount(test);
    test.emulator.resetCalls();
    // A slow answer, so every read arrives while the first call is out.
    test.emulator.injectFault({ operation: 'me', kind: 'delay', ms: 3000 });

    const answers = await Promise.all(Array.from({ length: 200 }, () => read(igUserId)));

    expect(answers.map((answer) => answer.status)).toEqual(Array(200).fill(200));
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(answers[0].body.igUserId).toBe(igUserId);
    expect(callsTo(test, 'me')).toHaveLength(1);
  });

  it('marks the connection once on a 190 and gives every waiter the same problem', async () => {
    const { igUserId } = await connectAccount(test);
    test.emulator.revokeAccount(igUserId);
    test.emulator.resetCalls();
    test.emulator.injectFault({ operation: 'me', kind: 'delay', ms: 2000 });

    const answers = await Promise.all(Array.from({ length: 50 }, () => read(igUserId)));

    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(409));
    expect(new Set(answers.map((answer) => answer.body.code))).toEqual(
      new Set(['instagram_token_invalid']),
    );
    expect(callsTo(test, 'me')).toHaveLength(1);
    const marked = test.logs.filter(
      (line) => line.includes('Instagram rejected the stored token') && line.includes(igUserId),
    );
    expect(marked).toHaveLength(1);
    expect((await read(igUserId)).body.code).toBe('connection_not_active');
    expect(callsTo(test, 'me')).toHaveLength(1);
  });

  it('calls Instagram again for a read that comes after the shared one settled', async () => {
    const { igUserId } = await connectAccount(test);
    test.emulator.resetCalls();
    await read(igUserId).expect(200);
    await read(igUserId).expect(200);
    expect(callsTo(test, 'me')).toHaveLength(2);
  });
});

describe('USERS_CACHE_TTL_MS', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ USERS_CACHE_TTL_MS: '60000' });
  });

  afterAll(async () => {
    await test.close();
  });

  const read = (igUserId: string) =>
    test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead));

  it('reuses a successful answer for that long, never for a deleted connection', async () => {
    const { igUserId } = await connectAccount(test);
    test.emulator.resetCalls();

    const first = await read(igUserId).expect(200);
    const second = await read(igUserId).expect(200);
    expect(second.body).toEqual(first.body);
    expect(callsTo(test, 'me')).toHaveLength(1);

    await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite)).expect(204);
    expect((await read(igUserId)).status).toBe(404);
    expect(callsTo(test, 'me')).toHaveLength(1);
  });

  it('reads again once the person consented anew (a new token)', async () => {
    const username = `cache_${Date.now()}`;
    const { igUserId } = await connectAccount(test, { username });
    await read(igUserId).expect(200);
    await connectAccount(test, { username });
    test.emulator.resetCalls();

    await read(igUserId).expect(200);
    expect(callsTo(test, 'me')).toHaveLength(1);
  });
});
