import { expectNoTokenNorInstagram, expectProblem, ISO_DATE } from './support/assertions.js';
import { connectionRow } from './support/connections.js';
import {
  connectWithPosts,
  type MediaPage,
  readAllMediaPages,
  readMediaPage,
} from './support/media.js';
import { connectAccount } from './support/oauth.js';
import {
  API_KEY,
  bearer,
  callsTo,
  startTestApp,
  type TestApp,
  useTestApp,
} from './support/test-app.js';
import { revealToken } from './support/vault-api.js';

const MEDIA_KEYS = [
  'id',
  'caption',
  'mediaType',
  'mediaProductType',
  'mediaUrl',
  'thumbnailUrl',
  'permalink',
  'timestamp',
  'username',
  'likeCount',
  'commentsCount',
].sort();

describe('GET /users/:igUserId/media', () => {
  const test = useTestApp();

  it('reads every post page by page to the end, newest first, no page holding a token or an Instagram link', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 23 });

    const pages = await readAllMediaPages(test, igUserId, 5);

    const bodies = pages.map((page) => page.body as MediaPage);
    expect(bodies.map((body) => body.items.length)).toEqual([5, 5, 5, 5, 3]);
    expect(bodies.map((body) => body.nextCursor === null)).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(bodies.flatMap((body) => body.items.map((item) => item.id))).toEqual(
      test.emulator.postsOf(igUserId).map((post) => post.id),
    );
    expect(callsTo(test, 'media').map((call) => call.status)).toEqual([200, 200, 200, 200, 200]);
    const token = await revealToken(test, igUserId);
    for (const page of pages) {
      expectNoTokenNorInstagram(page.text, { token, instagramUrl: test.emulator.url });
    }
  });

  it('answers 25 posts a page unless asked otherwise, and up to 100', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 101 });

    const byDefault = (await readMediaPage(test, igUserId).expect(200)).body as MediaPage;
    const most = (await readMediaPage(test, igUserId, { limit: 100 }).expect(200))
      .body as MediaPage;

    expect(byDefault.items).toHaveLength(25);
    expect(most.items).toHaveLength(100);
    expect(most.nextCursor).not.toBeNull();
  });

  it('keeps ids above 2^53 exact, those Instagram sent as bare JSON numbers too', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 6 });
    const posts = test.emulator.postsOf(igUserId);
    expect(posts.some((post) => post.idAsNumber)).toBe(true);

    const { items } = (await readMediaPage(test, igUserId).expect(200)).body as MediaPage;

    expect(items.map((item) => item.id)).toEqual(posts.map((post) => post.id));
    for (const item of items) {
      expect(typeof item.id).toBe('string');
      expect(BigInt(item.id as string) > 2n ** 53n).toBe(true);
    }
  });

  it('answers camelCase media, null for what Instagram withholds, timestamps in ISO 8601', async () => {
    const { igUserId, username } = await connectWithPosts(test, {
      posts: [
        { mediaType: 'VIDEO', caption: 'Our song', withholdMediaUrl: true, hideLikes: true },
        { mediaType: 'IMAGE', caption: null },
      ],
    });
    const [flagged, picture] = test.emulator.postsOf(igUserId);

    const { items } = (await readMediaPage(test, igUserId).expect(200)).body as MediaPage;

    for (const item of items) {
      expect(Object.keys(item).sort()).toEqual(MEDIA_KEYS);
    }
    expect(items[0]).toEqual({
      id: flagged.id,
      caption: 'Our song',
      mediaType: 'VIDEO',
      mediaProductType: 'REELS',
      mediaUrl: null,
      thumbnailUrl: flagged.thumbnailUrl,
      permalink: flagged.permalink,
      timestamp: new Date(flagged.timestamp).toISOString(),
      username,
      likeCount: null,
      commentsCount: flagged.commentsCount,
    });
    expect(items[0].timestamp).toMatch(ISO_DATE);
    expect(items[1]).toMatchObject({
      id: picture.id,
      caption: null,
      mediaType: 'IMAGE',
      mediaUrl: picture.mediaUrl,
      thumbnailUrl: null,
      likeCount: picture.likeCount,
    });
  });

  it('answers an empty page for an account without posts', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: 0 });
    expect((await readMediaPage(test, igUserId).expect(200)).body).toEqual({
      items: [],
      nextCursor: null,
    });
  });

  it('refuses a cursor it did not issue, or one of another account, before calling Instagram', async () => {
    const first = await connectWithPosts(test, { posts: 3 });
    const second = await connectWithPosts(test, { posts: 3 });
    const { nextCursor } = (await readMediaPage(test, first.igUserId, { limit: 1 }).expect(200))
      .body as MediaPage;
    test.emulator.resetCalls();

    for (const cursor of [nextCursor as string, 'bm90LW91cnM', 'a'.repeat(1025), 'QVFI%2F..']) {
      const account = cursor === nextCursor ? second.igUserId : first.igUserId;
      expectProblem(await readMediaPage(test, account, { cursor }), 400, 'validation_failed');
    }
    for (const limit of ['0', '101', 'ten', '2.5']) {
      const response = await test.http
        .get(`/users/${first.igUserId}/media?limit=${limit}`)
        .set(bearer(API_KEY.usersRead));
      expectProblem(response, 400, 'validation_failed');
    }
    expect(test.emulator.calls).toHaveLength(0);
  });

  it('shares one call to Instagram among concurrent reads of the same page', async () => {
    const { igUserId } = await connectWithPosts(test);
    test.emulator.injectFault({ operation: 'media', kind: 'delay', ms: 500 });

    const answers = await Promise.all(
      Array.from({ length: 20 }, () => readMediaPage(test, igUserId, { limit: 2 })),
    );

    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(callsTo(test, 'media')).toHaveLength(1);
  });

  it('marks the connection invalid when Instagram rejects the token (190), then stops calling', async () => {
    const { igUserId } = await connectWithPosts(test);
    test.emulator.revokeAccount(igUserId);

    const rejected = await readMediaPage(test, igUserId);

    expectProblem(rejected, 409, 'instagram_token_invalid');
    expect((await connectionRow(test, igUserId))?.status).toBe('invalid');
    expectProblem(await readMediaPage(test, igUserId), 409, 'connection_not_active');
    expect(callsTo(test, 'media')).toHaveLength(1);
  });

  it('holds the account when Instagram throttles its media (code 80002), and answers 429 without calling', async () => {
    const { igUserId } = await connectWithPosts(test);
    const other = await connectWithPosts(test);
    test.emulator.injectFault({
      operation: 'media',
      kind: 'rate_limited',
      code: 80002,
      regainMinutes: 3,
    });

    const throttled = await readMediaPage(test, igUserId);
    const held = await readMediaPage(test, igUserId);

    expectProblem(throttled, 429, 'instagram_rate_limited');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(170);
    expectProblem(held, 429, 'instagram_rate_limited');
    expect(callsTo(test, 'media')).toHaveLength(1);
    expect((await readMediaPage(test, other.igUserId)).status).toBe(200);
    expect((await connectionRow(test, igUserId))?.status).toBe('active');
  });

  it.each([
    ['unavailable', 503, 'instagram_unavailable', { kind: 'unavailable' }],
    ['too slow', 504, 'instagram_timeout', { kind: 'delay', ms: 2500 }],
    [
      'answering HTML',
      502,
      'instagram_bad_response',
      { kind: 'http', status: 200, body: '<html>' },
    ],
    [
      'answering without data',
      502,
      'instagram_bad_response',
      { kind: 'http', status: 200, body: '{"paging":{}}' },
    ],
  ] as const)('answers Instagram %s with %i %s', async (_name, status, code, fault) => {
    const { igUserId } = await connectWithPosts(test);
    test.emulator.injectFault({ operation: 'media', ...fault });

    expectProblem(await readMediaPage(test, igUserId), status, code);
    expect((await connectionRow(test, igUserId))?.status).toBe('active');
  });

  it('checks the scope: no key 401, tokens.read or graph.read alone 403, before calling Instagram', async () => {
    const { igUserId } = await connectWithPosts(test);

    expectProblem(await test.http.get(`/users/${igUserId}/media`), 401, 'unauthorized');
    expectProblem(await readMediaPage(test, igUserId, {}, API_KEY.tokensRead), 403, 'forbidden');
    expectProblem(await readMediaPage(test, igUserId, {}, API_KEY.graphRead), 403, 'forbidden');
    expect(test.emulator.calls).toHaveLength(0);
    expect((await readMediaPage(test, igUserId, {}, API_KEY.all)).status).toBe(200);
  });

  it('answers 404 for an unknown connection and 400 for an id that is not digits', async () => {
    expectProblem(await readMediaPage(test, '17841400000000007'), 404, 'connection_not_found');
    expectProblem(await readMediaPage(test, 'me'), 400, 'validation_failed');
    expect(test.emulator.calls).toHaveLength(0);
  });
});

describe('GET /users/:igUserId/media/:mediaId', () => {
  const test = useTestApp();
  const readOne = (igUserId: string, mediaId: string, secret: string = API_KEY.usersRead) =>
    test.http.get(`/users/${igUserId}/media/${mediaId}`).set(bearer(secret));

  it('answers a carousel with its children in order, each id exact', async () => {
    const { igUserId } = await connectWithPosts(test, {
      posts: [
        {
          mediaType: 'CAROUSEL_ALBUM',
          caption: 'Three of us',
          children: ['IMAGE', 'VIDEO', 'IMAGE'],
        },
      ],
    });
    const [carousel] = test.emulator.postsOf(igUserId);
    const children = (carousel.childIds ?? []).map((id) => test.emulator.findMedia(id)!);

    const response = await readOne(igUserId, carousel.id).expect(200);

    expect(response.body).toMatchObject({
      id: carousel.id,
      caption: 'Three of us',
      mediaType: 'CAROUSEL_ALBUM',
      permalink: carousel.permalink,
    });
    expect(response.body.children).toEqual(
      children.map((child) => ({
        id: child.id,
        mediaType: child.mediaType,
        mediaUrl: child.mediaUrl,
        thumbnailUrl: child.thumbnailUrl ?? null,
        permalink: child.permalink,
        timestamp: new Date(child.timestamp).toISOString(),
        username: expect.any(String),
      })),
    );
    expect(children.some((child) => child.idAsNumber)).toBe(true);
    expect(callsTo(test, 'media_object')).toHaveLength(1);
    expect(callsTo(test, 'media_children')).toHaveLength(1);
    const token = await revealToken(test, igUserId);
    expectNoTokenNorInstagram(response.text, { token, instagramUrl: test.emulator.url });
  });

  it('answers a picture with children null, reading no children', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: [{ mediaType: 'IMAGE' }] });
    const [picture] = test.emulator.postsOf(igUserId);

    const response = await readOne(igUserId, picture.id).expect(200);

    expect(response.body).toMatchObject({ id: picture.id, mediaType: 'IMAGE', children: null });
    expect(callsTo(test, 'media_children')).toHaveLength(0);
  });

  it("answers 404 media_not_found for another account's media and for an unknown id", async () => {
    const mine = await connectWithPosts(test);
    const theirs = await connectWithPosts(test);
    const foreign = test.emulator.postsOf(theirs.igUserId)[0].id;

    expectProblem(await readOne(mine.igUserId, foreign), 404, 'media_not_found');
    expectProblem(await readOne(mine.igUserId, '17895695660000001'), 404, 'media_not_found');
    expect((await connectionRow(test, mine.igUserId))?.status).toBe('active');
  });

  it('refuses a media id that is not digits before calling Instagram', async () => {
    const { igUserId } = await connectWithPosts(test);
    for (const mediaId of ['me', '1%2F..', `${'9'.repeat(33)}`, '-1']) {
      expectProblem(await readOne(igUserId, mediaId), 400, 'validation_failed');
    }
    expect(test.emulator.calls).toHaveLength(0);
  });

  it('answers a carousel within INSTAGRAM_TIMEOUT_MS for both of its reads together', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: [{ mediaType: 'CAROUSEL_ALBUM' }] });
    const [carousel] = test.emulator.postsOf(igUserId);
    test.emulator.injectFault({ operation: 'media_object', kind: 'delay', ms: 1200 });
    test.emulator.injectFault({ operation: 'media_children', kind: 'delay', ms: 1200 });

    const startedAt = Date.now();
    const response = await readOne(igUserId, carousel.id);

    expectProblem(response, 504, 'instagram_timeout');
    expect(Date.now() - startedAt).toBeLessThan(2000 + 700);
  });

  it('marks the connection on a 190 from the children read too', async () => {
    const { igUserId } = await connectWithPosts(test, { posts: [{ mediaType: 'CAROUSEL_ALBUM' }] });
    const [carousel] = test.emulator.postsOf(igUserId);
    test.emulator.injectFault({
      operation: 'media_children',
      kind: 'http',
      status: 400,
      body: '{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":460}}',
    });

    expectProblem(await readOne(igUserId, carousel.id), 409, 'instagram_token_invalid');
    expect((await connectionRow(test, igUserId))?.status).toBe('invalid');
  });
});

describe('media with USERS_CACHE_TTL_MS and fewer INSTAGRAM_MEDIA_FIELDS', () => {
  let test: TestApp;

  beforeAll(async () => {
    test = await startTestApp({
      USERS_CACHE_TTL_MS: '60000',
      INSTAGRAM_MEDIA_FIELDS: 'id,media_type,permalink',
    });
  });

  afterAll(async () => {
    await test.close();
  });

  it('answers null for the fields it does not ask for, and asks only for its own', async () => {
    const { igUserId } = await connectWithPosts(test, {
      posts: [{ mediaType: 'IMAGE', caption: 'hi' }],
    });
    const [post] = test.emulator.postsOf(igUserId);

    const { items } = (await readMediaPage(test, igUserId).expect(200)).body as MediaPage;

    expect(items).toEqual([
      {
        id: post.id,
        caption: null,
        mediaType: 'IMAGE',
        mediaProductType: null,
        mediaUrl: null,
        thumbnailUrl: null,
        permalink: post.permalink,
        timestamp: null,
        username: null,
        likeCount: null,
        commentsCount: null,
      },
    ]);
  });

  it('reuses a page for that long, but never once the person consented anew', async () => {
    const { igUserId, username } = await connectWithPosts(test, { posts: 4 });

    const first = await readMediaPage(test, igUserId, { limit: 2 }).expect(200);
    const again = await readMediaPage(test, igUserId, { limit: 2 }).expect(200);
    const otherPage = await readMediaPage(test, igUserId, { limit: 3 }).expect(200);
    expect(again.body).toEqual(first.body);
    expect(otherPage.body.items).toHaveLength(3);
    expect(callsTo(test, 'media')).toHaveLength(2);

    await connectAccount(test, { username });
    test.emulator.resetCalls();
    await readMediaPage(test, igUserId, { limit: 2 }).expect(200);
    expect(callsTo(test, 'media')).toHaveLength(1);

    await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite)).expect(204);
    expectProblem(await readMediaPage(test, igUserId, { limit: 2 }), 404, 'connection_not_found');
  });
});
