import type { Response } from 'supertest';
import { expectNoTokenNorInstagram, expectProblem } from './support/assertions.js';
import { connectionRow } from './support/connections.js';
import { storedHolds } from './support/holds.js';
import { connectWithPosts, followGraphPages, readGraph } from './support/media.js';
import { rawRequest } from './support/net.js';
import {
  API_KEY,
  bearer,
  callsTo,
  listenOnLoopback,
  startTestApp,
  type TestApp,
  useAppsPerTest,
  useTestApp,
} from './support/test-app.js';
import { revealToken } from './support/vault-api.js';

/** The media ids of a Graph page, read from its text (some are bare numbers above 2^53). */
function idsIn(page: Response): string[] {
  return [...page.text.matchAll(/"id":"?(\d+)"?/g)].map((match) => match[1]);
}

describe('GET /graph/:igUserId/* (the Graph read proxy)', () => {
  const test = useTestApp();
  /** The app on a real socket, for requests sent byte for byte. */
  let base: string;

  beforeAll(async () => {
    base = await listenOnLoopback(test);
  });

  it('follows paging.next to the end and paging.previous back, every page free of tokens and of Instagram', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 8 });

    const first = await readGraph(test, igUserId, 'me/media?fields=id,caption&limit=3');
    const forward = await followGraphPages(test, first);
    const backward = await followGraphPages(test, forward[forward.length - 1], 'previous');

    expect(forward.map((page) => idsIn(page).length)).toEqual([3, 3, 2]);
    expect(forward.flatMap(idsIn)).toEqual(test.emulator.postsOf(igUserId).map((post) => post.id));
    expect(backward.map((page) => idsIn(page).length)).toEqual([2, 3, 3]);
    expect(idsIn(backward[2])).toEqual(idsIn(forward[0]));
    for (const page of [...forward, ...backward]) {
      expect(page.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(Object.keys(page.body.data[0]).sort()).toEqual(['caption', 'id']);
    }
    const next = new URL(forward[0].body.paging.next as string);
    expect(next.pathname).toBe(`/graph/${igUserId}/me/media`);
    expect([...next.searchParams.keys()]).toEqual(['fields', 'limit', 'after']);
    const token = await revealToken(test, igUserId);
    for (const page of [...forward, ...backward]) {
      expectNoTokenNorInstagram(page.text, { token, instagramUrl: test.emulator.url });
    }
  });

  it("answers Instagram's JSON byte for byte but for its links: escapes, key order, ids sent as numbers", async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 4 });
    const token = await revealToken(test, igUserId);
    const query = 'fields=id,caption,media_url,timestamp&limit=3';
    const direct = await (
      await fetch(`${test.emulator.url}/me/media?${query}&access_token=${token}`)
    ).text();

    const proxied = await readGraph(test, igUserId, `me/media?${query}`).expect(200);

    const instagramNext = (JSON.parse(direct) as { paging: { next: string } }).paging.next;
    const written = JSON.stringify(instagramNext).replaceAll('/', '\\/');
    expect(direct).toContain(written);
    const vaultNext = proxied.body.paging.next as string;
    expect(proxied.text).toBe(direct.replace(written, JSON.stringify(vaultNext)));
    expect(direct).toMatch(/"id":\d{17}/);
    expect(proxied.text).toContain('https:\\/\\/instagram-emulator.invalid\\/media\\/');
  });

  it("reads a carousel's children and a media object, ids exact to the digit", async () => {
    const { igUserId } = await connectWithPosts(test, {
      posts: [{ mediaType: 'CAROUSEL_ALBUM', children: ['IMAGE', 'VIDEO', 'IMAGE', 'IMAGE'] }],
    });
    const [carousel] = test.emulator.postsOf(igUserId);

    const children = await readGraph(
      test,
      igUserId,
      `${carousel.id}/children?fields=id,media_type`,
    );
    const object = await readGraph(test, igUserId, `${carousel.id}?fields=id,media_type,caption`);

    expect(children.status).toBe(200);
    expect(idsIn(children)).toEqual(carousel.childIds);
    expect(children.text).toMatch(/"id":\d{17}/);
    expect(object.status).toBe(200);
    expect(object.body).toMatchObject({ media_type: 'CAROUSEL_ALBUM', caption: carousel.caption });
    expect(idsIn(object)).toEqual([carousel.id]);
  });

  it("rewrites insights' since/until links both ways, and follows them", async () => {
    const { igUserId } = await connectWithPosts(test);

    const page = await readGraph(test, igUserId, 'me/insights?metric=reach&period=day').expect(200);
    const [, earlier] = await followGraphPages(test, page, 'previous').then((pages) =>
      pages.slice(0, 2),
    );

    for (const link of [page.body.paging.previous, page.body.paging.next] as string[]) {
      const url = new URL(link);
      expect(url.pathname).toBe(`/graph/${igUserId}/me/insights`);
      expect(url.searchParams.get('metric')).toBe('reach');
      expect(url.searchParams.has('since')).toBe(true);
    }
    expect(earlier.status).toBe(200);
    const token = await revealToken(test, igUserId);
    expectNoTokenNorInstagram(page.text + earlier.text, { token, instagramUrl: test.emulator.url });
  });

  it.each([
    ['access_token', 'me?fields=id&access_token=IGAAcallers-own-token'],
    ['access_token in another case', 'me?ACCESS_TOKEN=IGAAcallers-own-token'],
    ['access_token encoded', 'me?access%5Ftoken=IGAAcallers-own-token'],
    ['appsecret_proof', 'me/media?appsecret_proof=0123abcd'],
    ['a field asking for the token', 'me?fields=id,access_token'],
    ['a method override', 'me/media?method=delete'],
    ['errors as 200', 'me?suppress_http_code=1'],
  ])('refuses %s in the query with 400, calling nothing', async (_name, path) => {
    const { igUserId } = await connectWithPosts(test);

    const response = await readGraph(test, igUserId, path);

    expectProblem(response, 400, 'validation_failed');
    expect(response.text).not.toContain('IGAAcallers-own-token');
    expect(test.emulator.calls).toHaveLength(0);
  });

  it('refuses every path outside the allow-list with 403 graph_path_not_allowed, as an attacker sends it', async () => {
    const { igUserId } = await connectWithPosts(test);
    const attacks = [
      'me/../refresh_access_token',
      'me/media/../../access_token',
      'me%2F..%2F..%2Frefresh_access_token',
      '%2e%2e/%2e%2e/oauth/access_token',
      '%252e%252e/me',
      'me%3Faccess_token=x',
      'me%3Ffields=id',
      'me%23',
      'me/media/',
      'me//media',
      'me/stories',
      'refresh_access_token?grant_type=ig_refresh_token',
      'access_token?grant_type=ig_exchange_token',
      'oauth/access_token',
      `${'1'.repeat(33)}/children`,
      '17895695668004551/children/extra',
      'ME/media',
      'me%00',
      'me\\media',
    ];

    for (const attack of attacks) {
      const response = await rawRequest(
        base,
        'GET',
        `/graph/${igUserId}/${attack}`,
        bearer(API_KEY.graphRead),
      );
      expect({ attack, status: response.status, code: JSON.parse(response.text).code }).toEqual({
        attack,
        status: 403,
        code: 'graph_path_not_allowed',
      });
    }
    expect(test.emulator.calls).toHaveLength(0);
    const encoded = await rawRequest(
      base,
      'GET',
      `/graph/${igUserId}/me%2Fmedia?limit=1`,
      bearer(API_KEY.graphRead),
    );
    expect(encoded.status).toBe(200);
  });

  it.each([
    ['POST', '{}'],
    ['PUT', '{}'],
    ['PATCH', '{}'],
    ['DELETE', undefined],
  ])('answers %s with 405 and Allow, calling nothing', async (method, body) => {
    const { igUserId } = await connectWithPosts(test);

    const response = await rawRequest(
      base,
      method,
      `/graph/${igUserId}/me/media`,
      body === undefined
        ? bearer(API_KEY.graphRead)
        : { ...bearer(API_KEY.graphRead), 'content-type': 'application/json' },
      body,
    );

    expect(response.status).toBe(405);
    expect(JSON.parse(response.text).code).toBe('method_not_allowed');
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(test.emulator.calls).toHaveLength(0);
  });

  it('marks the connection when Instagram rejects the token (190) on a proxied read, then stops calling', async () => {
    const { igUserId } = await connectWithPosts(test);
    test.emulator.revokeAccount(igUserId);

    const rejected = await readGraph(test, igUserId, 'me/media');

    expectProblem(rejected, 409, 'instagram_token_invalid');
    expect((await connectionRow(test, igUserId))?.status).toBe('invalid');
    expectProblem(await readGraph(test, igUserId, 'me'), 409, 'connection_not_active');
    expect(test.emulator.calls).toHaveLength(1);
  });

  it("passes Instagram's refusal of the caller's query on as 400 instagram_rejected, the connection untouched", async () => {
    const { igUserId } = await connectWithPosts(test);

    const response = await readGraph(test, igUserId, 'me/media?fields=id,email');

    expectProblem(response, 400, 'instagram_rejected');
    expect(response.body.detail).toContain('nonexisting field (email)');
    expect((await connectionRow(test, igUserId))?.status).toBe('active');
  });

  it('shares one call among concurrent identical reads; another query is another call', async () => {
    const { igUserId } = await connectWithPosts(test);
    test.emulator.injectFault({ operation: 'media', kind: 'delay', ms: 500 });

    const [same, other] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => readGraph(test, igUserId, 'me/media?limit=2'))),
      readGraph(test, igUserId, 'me/media?limit=3'),
    ]);

    expect(same.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(new Set(same.map((answer) => answer.text)).size).toBe(1);
    expect(other.status).toBe(200);
    expect(callsTo(test, 'media')).toHaveLength(2);
  });

  it('checks the scope: no key 401, users.read or tokens.reveal alone 403, a * key reads', async () => {
    const { igUserId } = await connectWithPosts(test);

    expectProblem(await test.http.get(`/graph/${igUserId}/me`), 401, 'unauthorized');
    expectProblem(await readGraph(test, igUserId, 'me', API_KEY.usersRead), 403, 'forbidden');
    expectProblem(await readGraph(test, igUserId, 'me', API_KEY.tokensReveal), 403, 'forbidden');
    expect(test.emulator.calls).toHaveLength(0);
    expect((await readGraph(test, igUserId, 'me?fields=username', API_KEY.all)).status).toBe(200);
    expectProblem(await readGraph(test, '17841400000000007', 'me'), 404, 'connection_not_found');
  });

  it('labels metrics by path pattern, never by a raw path or id', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: [{ mediaType: 'CAROUSEL_ALBUM' }] });
    const [carousel] = test.emulator.postsOf(igUserId);
    await readGraph(test, igUserId, `${carousel.id}/children`).expect(200);
    await readGraph(test, igUserId, 'me/media?limit=1').expect(200);

    const metrics = (await test.http.get('/metrics').expect(200)).text;

    expect(metrics).toMatch(
      /vault_instagram_calls_total\{operation="graph:\{id\}\/children",outcome="ok"\} \d+/,
    );
    expect(metrics).toMatch(
      /vault_instagram_calls_total\{operation="graph:me\/media",outcome="ok"\} \d+/,
    );
    expect(metrics).toContain('route="/graph/:igUserId/*"');
    expect(metrics).not.toContain(carousel.id);
    expect(metrics).not.toContain(igUserId);
  });

  it('writes no token into the log, whatever was read, refused or rejected', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 6 });
    const [carousel] = test.emulator.postsOf(igUserId);
    const token = await revealToken(test, igUserId);
    test.logs.length = 0;

    const pages = await followGraphPages(test, await readGraph(test, igUserId, 'me/media?limit=2'));
    await readGraph(test, igUserId, `${carousel.id}/children`).expect(200);
    await readGraph(test, igUserId, 'me/insights?metric=reach').expect(200);
    await test.http
      .get(`/users/${igUserId}/media?limit=2`)
      .set(bearer(API_KEY.usersRead))
      .expect(200);
    await readGraph(test, igUserId, 'me?access_token=IGAAcallers-own-token').expect(400);
    await readGraph(test, igUserId, 'me?fields=id&api_key=misplaced-s3cret').expect(200);
    test.emulator.revokeAccount(igUserId);
    await readGraph(test, igUserId, 'me/media').expect(409);

    expect(pages.length).toBeGreaterThan(1);
    const log = test.logs.join('\n');
    expect(log).toContain('/graph/');
    expect(log).not.toContain(token);
    expect(log).not.toContain('IGAAcallers-own-token');
    expect(log).not.toContain('misplaced-s3cret');
    expect(log).toContain('api_key=[REDACTED]');
    expect(log).not.toMatch(/access_token=(?!\[REDACTED\])/);
  });
});

describe('the Graph read proxy as an operator sets it up', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({
      GRAPH_PROXY_PATHS: 'me,me/media',
      INSTAGRAM_GRAPH_VERSION: 'v23.0',
    });
  });

  afterAll(async () => {
    await test.close();
  });

  it('forwards only the paths GRAPH_PROXY_PATHS lists', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 1 });
    const [post] = test.emulator.postsOf(igUserId);

    const refused = await readGraph(test, igUserId, `${post.id}`);

    expectProblem(refused, 403, 'graph_path_not_allowed');
    expect(refused.body.allowedPaths).toEqual(['me', 'me/media']);
    expect((await readGraph(test, igUserId, 'me?fields=username')).status).toBe(200);
    expect(test.emulator.calls).toHaveLength(1);
  });

  it('reads under the configured version and still pages through me', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 5 });

    const pages = await followGraphPages(test, await readGraph(test, igUserId, 'me/media?limit=2'));

    expect(pages.flatMap(idsIn)).toEqual(test.emulator.postsOf(igUserId).map((post) => post.id));
  });
});

describe('the Graph read proxy under USERS_CACHE_TTL_MS', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({ USERS_CACHE_TTL_MS: '60000' });
  });

  afterAll(async () => {
    await test.close();
  });

  it("reuses an answer for each caller with links on the origin that caller used, never another's", async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 4 });
    const read = (host: string) =>
      test.http
        .get(`/graph/${igUserId}/me/media?limit=2`)
        .set('host', host)
        .set(bearer(API_KEY.graphRead))
        .expect(200);

    const first = await read('vault-a.internal');
    const second = await read('vault-b.internal:8443');

    expect(test.emulator.calls).toHaveLength(1);
    expect(new URL(first.body.paging.next as string).host).toBe('vault-a.internal');
    expect(new URL(second.body.paging.next as string).host).toBe('vault-b.internal:8443');
    expect(second.body.data).toEqual(first.body.data);
    const token = await revealToken(test, igUserId);
    expectNoTokenNorInstagram(second.text, { token, instagramUrl: test.emulator.url });
  });
});

describe('the Graph read proxy when Instagram throttles', () => {
  const { start } = useAppsPerTest();

  it('holds the whole app after code 4 on a proxied read: no call leaves for any route or account', async () => {
    const test = await start();
    const { igUserId } = await connectWithPosts(test);
    const { igUserId: other } = await connectWithPosts(test);
    test.emulator.injectFault({
      operation: 'media',
      kind: 'rate_limited',
      code: 4,
      retryAfterSeconds: 120,
    });

    const throttled = await readGraph(test, igUserId, 'me/media');

    expectProblem(throttled, 429, 'instagram_rate_limited');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(119);
    expectProblem(await readGraph(test, other, 'me'), 429, 'instagram_rate_limited');
    expectProblem(
      await test.http.get(`/users/${other}/media`).set(bearer(API_KEY.usersRead)),
      429,
      'instagram_rate_limited',
    );
    expect(test.emulator.calls).toHaveLength(1);
    expect((await storedHolds(test)).map((hold) => hold.scope)).toEqual(['app']);
    expect((await storedHolds(test))[0].reason).toMatch(/^graph:me\/media: 4 /);
  });

  it('holds only the account after code 17, for the time Instagram gives', async () => {
    const test = await start();
    const { igUserId } = await connectWithPosts(test);
    const { igUserId: other } = await connectWithPosts(test);
    test.emulator.injectFault({
      operation: 'me',
      kind: 'rate_limited',
      code: 17,
      regainMinutes: 5,
    });

    expectProblem(await readGraph(test, igUserId, 'me'), 429, 'instagram_rate_limited');
    const held = await readGraph(test, igUserId, 'me/media');

    expectProblem(held, 429, 'instagram_rate_limited');
    expect(Number(held.headers['retry-after'])).toBeGreaterThan(290);
    expect((await readGraph(test, other, 'me/media')).status).toBe(200);
    expect(callsTo(test, 'me')).toHaveLength(1);
    expect(callsTo(test, 'media')).toHaveLength(1);
  });
});
