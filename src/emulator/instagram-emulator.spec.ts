import { type EmulatorAccount, InstagramEmulator } from './instagram-emulator.js';

const APP = {
  appId: '1000000000000001',
  appSecret: 'app-secret-1',
  redirectUris: ['http://localhost:3000/cb', 'https://app.example.com/cb?tenant=a'],
};
const REDIRECT_URI = APP.redirectUris[0];
const SCOPES = ['instagram_business_basic', 'instagram_business_manage_messages'];
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

let emulator: InstagramEmulator;
let base: string;

beforeEach(async () => {
  emulator = new InstagramEmulator({ apps: [APP] });
  base = await emulator.start();
});

afterEach(async () => {
  await emulator.stop();
});

function authorizeQuery(overrides: Record<string, string> = {}): URLSearchParams {
  return new URLSearchParams({
    client_id: APP.appId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: SCOPES.join(','),
    state: 'state-123',
    ...overrides,
  });
}

function postConsent(fields: Record<string, string>): Promise<Response> {
  return fetch(`${base}/oauth/authorize`, {
    method: 'POST',
    body: new URLSearchParams({ ...Object.fromEntries(authorizeQuery()), ...fields }),
    redirect: 'manual',
  });
}

function exchange(fields: Record<string, string>): Promise<Response> {
  return fetch(`${base}/oauth/access_token`, {
    method: 'POST',
    body: new URLSearchParams({
      client_id: APP.appId,
      client_secret: APP.appSecret,
      grant_type: 'authorization_code',
      redirect_uri: REDIRECT_URI,
      ...fields,
    }),
  });
}

function issueCode(account?: EmulatorAccount): string {
  return emulator.issueCode({
    appId: APP.appId,
    redirectUri: REDIRECT_URI,
    scopes: SCOPES,
    account,
  });
}

async function shortLivedToken(account?: EmulatorAccount): Promise<string> {
  const body = (await (await exchange({ code: issueCode(account) })).json()) as {
    access_token: string;
  };
  return body.access_token;
}

function exchangeForLongLived(shortToken: string, secret = APP.appSecret): Promise<Response> {
  const query = new URLSearchParams({
    grant_type: 'ig_exchange_token',
    client_secret: secret,
    access_token: shortToken,
  });
  return fetch(`${base}/access_token?${query.toString()}`);
}

async function longLivedToken(account?: EmulatorAccount): Promise<string> {
  const response = await exchangeForLongLived(await shortLivedToken(account));
  return ((await response.json()) as { access_token: string }).access_token;
}

function refresh(token: string): Promise<Response> {
  return fetch(`${base}/refresh_access_token?grant_type=ig_refresh_token&access_token=${token}`);
}

function me(token: string, fields: string, path = '/me'): Promise<Response> {
  return fetch(`${base}${path}?fields=${fields}&access_token=${token}`);
}

interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    fbtrace_id: string;
  };
}

async function graphError(response: Response): Promise<GraphErrorBody['error']> {
  expect(response.status).toBe(400);
  const body = (await response.json()) as GraphErrorBody;
  expect(body.error.type).toBe('OAuthException');
  expect(body.error.fbtrace_id).toEqual(expect.any(String));
  return body.error;
}

async function apiErrorMessage(response: Response): Promise<string> {
  expect(response.status).toBe(400);
  const body = (await response.json()) as {
    error_type: string;
    code: number;
    error_message: string;
  };
  expect(body).toMatchObject({ error_type: 'OAuthException', code: 400 });
  return body.error_message;
}

describe('InstagramEmulator', () => {
  describe('accounts', () => {
    it('makes three distinct odd ids above 2^53 that JSON.parse cannot keep', () => {
      const first = emulator.createAccount();
      const second = emulator.createAccount();
      const ids = [first, second].flatMap((a) => [a.userId, a.appScopedId, a.professionalId]);
      expect(new Set(ids).size).toBe(6);
      for (const id of ids) {
        expect(BigInt(id) > 2n ** 53n).toBe(true);
        expect(BigInt(id) % 2n).toBe(1n);
        expect(String(JSON.parse(id))).not.toBe(id);
      }
      expect(first.username).not.toBe(second.username);
    });

    it('refuses a username that is taken and finds accounts by username', () => {
      const account = emulator.createAccount({ username: 'taken', accountType: 'MEDIA_CREATOR' });
      expect(() => emulator.createAccount({ username: 'taken' })).toThrow(/already exists/);
      expect(emulator.findAccountByUsername('taken')).toEqual(account);
      expect(emulator.findAccountByUsername('nobody')).toBeUndefined();
    });
  });

  describe('authorize window', () => {
    it('shows a consent page with Allow and Deny in a form carrying the request', async () => {
      const response = await fetch(`${base}/oauth/authorize?${authorizeQuery().toString()}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await response.text();
      expect(html).toContain('<form method="post" action="/oauth/authorize">');
      expect(html).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/);
      expect(html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/);
      expect(html).toContain('<input type="hidden" name="state" value="state-123">');
      expect(html).toContain(`<input type="hidden" name="client_id" value="${APP.appId}">`);
      expect(html).toContain('<code>instagram_business_manage_messages</code>');
      expect(html).toMatch(/<input id="username" name="username"[^>]*value="emulator_user_\d+">/);
    });

    it('offers existing accounts and escapes what it echoes', async () => {
      emulator.createAccount({ username: 'existing.person' });
      const query = authorizeQuery({ state: '"><script>x</script>' });
      const html = await (await fetch(`${base}/oauth/authorize?${query.toString()}`)).text();
      expect(html).toContain('<option value="existing.person">');
      expect(html).not.toContain('<script>');
    });

    it.each([
      [{ client_id: '999' }, 'Invalid platform app'],
      [{ redirect_uri: `${REDIRECT_URI}/` }, 'Invalid redirect_uri'],
      [{ response_type: 'token' }, 'Invalid response_type: token'],
      [{ scope: 'instagram_business_basic,basic' }, 'Invalid scope: basic'],
    ])('answers %j with a 400 JSON error and never redirects', async (overrides, message) => {
      const response = await fetch(
        `${base}/oauth/authorize?${authorizeQuery(overrides).toString()}`,
        {
          redirect: 'manual',
        },
      );
      expect(response.headers.get('location')).toBeNull();
      expect(await response.json()).toEqual({
        error_type: 'OAuthException',
        code: 400,
        error_message: message,
      });
      expect(response.status).toBe(400);
    });

    it('redirects Allow with the code, the state and #_, creating the account', async () => {
      const response = await postConsent({ username: 'new.person', decision: 'allow' });
      expect(response.status).toBe(302);
      const location = response.headers.get('location') ?? '';
      const match = /^http:\/\/localhost:3000\/cb\?code=([A-Za-z0-9_-]+)&state=state-123#_$/.exec(
        location,
      );
      expect(match).not.toBeNull();
      const account = emulator.findAccountByUsername('new.person');
      expect(account).toBeDefined();

      const text = await (await exchange({ code: match?.[1] ?? '' })).text();
      expect(text).toContain(`"user_id":${account?.userId}`);
    });

    it('reuses an account, appends to a query and leaves out an absent state', async () => {
      const account = emulator.createAccount({ username: 'returning' });
      const response = await postConsent({
        redirect_uri: APP.redirectUris[1],
        state: '',
        username: 'returning',
        decision: 'allow',
      });
      const location = response.headers.get('location') ?? '';
      expect(location).toMatch(/^https:\/\/app\.example\.com\/cb\?tenant=a&code=[A-Za-z0-9_-]+#_$/);
      const code = /code=([A-Za-z0-9_-]+)/.exec(location)?.[1] ?? '';
      const text = await (await exchange({ code, redirect_uri: APP.redirectUris[1] })).text();
      expect(text).toContain(`"user_id":${account.userId}`);
    });

    it('redirects Deny with access_denied and the state', async () => {
      const response = await postConsent({ decision: 'deny' });
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(
        'http://localhost:3000/cb?error=access_denied&error_reason=user_denied' +
          '&error_description=The+user+denied+your+request&state=state-123',
      );
    });

    it('validates the posted form as strictly as the page request', async () => {
      const response = await postConsent({ scope: 'user_profile,nope', decision: 'allow' });
      expect(await apiErrorMessage(response)).toBe('Invalid scope: nope');
    });
  });

  describe('code exchange', () => {
    it('answers the flat shape with user_id as a bare number of every digit', async () => {
      const account = emulator.createAccount();
      const response = await exchange({ code: issueCode(account) });
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(
        new RegExp(`^\\{"access_token":"IGAA[A-Za-z0-9_-]+","user_id":${account.userId}\\}$`),
      );
      expect(String((JSON.parse(text) as { user_id: number }).user_id)).not.toBe(account.userId);
    });

    it('answers the data shape with user_id as a string and permissions joined', async () => {
      emulator.exchangeShape = 'data';
      const account = emulator.createAccount();
      const body = (await (await exchange({ code: issueCode(account) })).json()) as {
        data: { access_token: string; user_id: string; permissions: string }[];
      };
      expect(body.data).toHaveLength(1);
      expect(body.data[0]).toEqual({
        access_token: expect.stringMatching(/^IGAA/),
        user_id: account.userId,
        permissions: SCOPES.join(','),
      });
    });

    it('answers the flat shape with a permissions array', async () => {
      emulator.exchangeShape = 'flat_permissions_array';
      const account = emulator.createAccount();
      const text = await (await exchange({ code: issueCode(account) })).text();
      expect(text).toContain(`"user_id":${account.userId},`);
      expect(JSON.parse(text)).toMatchObject({ permissions: SCOPES });
    });

    it('accepts multipart/form-data as Meta documents it', async () => {
      const account = emulator.createAccount();
      const body = new FormData();
      body.set('client_id', APP.appId);
      body.set('client_secret', APP.appSecret);
      body.set('grant_type', 'authorization_code');
      body.set('redirect_uri', REDIRECT_URI);
      body.set('code', issueCode(account));
      const response = await fetch(`${base}/oauth/access_token`, { method: 'POST', body });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain(`"user_id":${account.userId}`);
    });

    it('issues a short-lived token for one hour', async () => {
      const token = await shortLivedToken();
      const state = emulator.inspectToken(token);
      expect(state?.kind).toBe('short_lived');
      expect((state?.expiresAt ?? 0) - (state?.issuedAt ?? 0)).toBe(HOUR);
    });

    it('takes a code once', async () => {
      const code = issueCode();
      expect((await exchange({ code })).status).toBe(200);
      expect(await apiErrorMessage(await exchange({ code }))).toBe(
        'This authorization code has been used',
      );
    });

    it('does not know a code with #_ left on it', async () => {
      const code = issueCode();
      expect(await apiErrorMessage(await exchange({ code: `${code}#_` }))).toBe(
        'Matching code was not found or was already used',
      );
    });

    it('lets a code expire after an hour of its clock', async () => {
      const code = issueCode();
      emulator.advanceClock(HOUR + 1);
      expect(await apiErrorMessage(await exchange({ code }))).toBe(
        'This authorization code has expired',
      );
    });

    it('refuses a redirect_uri that differs by a trailing slash, keeping the code', async () => {
      const code = issueCode();
      expect(
        await apiErrorMessage(await exchange({ code, redirect_uri: `${REDIRECT_URI}/` })),
      ).toBe(
        'Error validating verification code. Please make sure your redirect_uri is identical ' +
          'to the one you used in the OAuth dialog request',
      );
      expect((await exchange({ code })).status).toBe(200);
    });

    it.each([
      [{ client_secret: 'wrong' }, 'Error validating client secret.'],
      [{ client_id: '1000000000000002' }, 'Invalid platform app'],
      [{ grant_type: 'client_credentials' }, 'Unsupported grant type'],
    ])('refuses %j', async (overrides, message) => {
      expect(await apiErrorMessage(await exchange({ code: issueCode(), ...overrides }))).toBe(
        message,
      );
    });
  });

  describe('long-lived tokens', () => {
    it('exchanges a short-lived token for a 60-day bearer token', async () => {
      const short = await shortLivedToken();
      const response = await exchangeForLongLived(short);
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toEqual({
        access_token: expect.stringMatching(/^IGAA/),
        token_type: 'bearer',
        expires_in: expect.any(Number),
      });
      expect(body.access_token).not.toBe(short);
      expect(body.expires_in).toBeLessThanOrEqual(5184000);
      expect(body.expires_in).toBeGreaterThan(5184000 - 60);
      expect(emulator.inspectToken(body.access_token as string)?.kind).toBe('long_lived');
    });

    it('refuses the wrong secret, a long-lived token and an expired short-lived one', async () => {
      const short = await shortLivedToken();
      expect((await graphError(await exchangeForLongLived(short, 'wrong'))).code).toBe(101);

      const long = await longLivedToken();
      expect((await graphError(await exchangeForLongLived(long))).code).toBe(100);

      emulator.advanceClock(HOUR + 1000);
      const expired = await graphError(await exchangeForLongLived(short));
      expect(expired).toMatchObject({ code: 190, error_subcode: 463 });
      expect(expired.message).toMatch(/^Error validating access token: Session has expired on /);
    });

    it('refreshes only once the token is a day old, into a new 60-day token', async () => {
      const long = await longLivedToken();
      const tooEarly = await graphError(await refresh(long));
      expect(tooEarly.code).toBe(100);
      expect(tooEarly.message).toMatch(/at least 24 hours old/);

      emulator.advanceClock(25 * HOUR);
      const response = await refresh(long);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { access_token: string; expires_in: number };
      expect(body.access_token).not.toBe(long);
      expect(body.expires_in).toBeGreaterThan(5184000 - 60);
      expect(emulator.inspectToken(body.access_token)?.kind).toBe('long_lived');
      expect(emulator.inspectToken(long)?.expiresAt).toBeLessThan(
        emulator.inspectToken(body.access_token)?.expiresAt ?? 0,
      );
      expect((await me(long, 'id')).status).toBe(200);
    });

    it('refuses to refresh a short-lived or an expired token', async () => {
      expect((await graphError(await refresh(await shortLivedToken()))).code).toBe(100);
      const long = await longLivedToken();
      emulator.advanceClock(61 * DAY);
      expect(await graphError(await refresh(long))).toMatchObject({
        code: 190,
        error_subcode: 463,
      });
    });
  });

  describe('user node', () => {
    it('answers only the asked fields, ids as the three distinct numbers', async () => {
      const account = emulator.createAccount({ username: 'shop', accountType: 'BUSINESS' });
      const token = await longLivedToken(account);
      const response = await me(token, 'id,user_id,username,account_type,followers_count');
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain(`"id":"${account.appScopedId}"`);
      expect(text).toContain(`"user_id":${account.professionalId}`);
      expect(JSON.parse(text)).toEqual({
        id: account.appScopedId,
        user_id: expect.any(Number),
        username: 'shop',
        account_type: 'BUSINESS',
        followers_count: account.followersCount,
      });
      expect(new Set([account.userId, account.appScopedId, account.professionalId]).size).toBe(3);
    });

    it('serves versioned paths and a bearer header', async () => {
      const account = emulator.createAccount();
      const token = await shortLivedToken(account);
      const versioned = await me(token, 'username,name,profile_picture_url', '/v23.0/me');
      expect(await versioned.json()).toEqual({
        username: account.username,
        name: account.name,
        profile_picture_url: account.profilePictureUrl,
      });
      const viaHeader = await fetch(`${base}/me?fields=media_count,follows_count`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(await viaHeader.json()).toEqual({
        media_count: account.mediaCount,
        follows_count: account.followsCount,
      });
    });

    it('refuses an unknown field and a missing or unknown token', async () => {
      const token = await shortLivedToken();
      expect((await graphError(await me(token, 'username,email'))).message).toBe(
        '(#100) Tried accessing nonexisting field (email)',
      );
      const missing = await graphError(await fetch(`${base}/me?fields=id`));
      expect(missing).toMatchObject({
        code: 190,
        message: 'Invalid OAuth access token - Cannot parse access token',
      });
      expect(missing.error_subcode).toBeUndefined();
      expect((await graphError(await me('IGAAnope', 'id'))).code).toBe(190);
    });

    it('fails every token of a revoked account with 190/458', async () => {
      const account = emulator.createAccount();
      const long = await longLivedToken(account);
      const other = await longLivedToken();
      emulator.revokeAccount(account.userId);
      const error = await graphError(await me(long, 'id'));
      expect(error).toMatchObject({ code: 190, error_subcode: 458 });
      expect(error.message).toMatch(/The user has not authorized application/);
      expect(emulator.inspectToken(long)?.revoked).toBe(true);
      expect((await me(other, 'id')).status).toBe(200);
    });
  });

  describe('media', () => {
    const MEDIA_FIELDS = 'id,caption,media_type,media_url,thumbnail_url,timestamp,like_count';

    async function graph(path: string, token: string, query: Record<string, string> = {}) {
      const params = new URLSearchParams({ ...query, access_token: token });
      return fetch(`${base}${path}?${params.toString()}`);
    }

    interface MediaPageBody {
      data: Record<string, unknown>[];
      paging?: { cursors?: { before: string; after: string }; next?: string; previous?: string };
    }

    it('gives a new account a few posts: a carousel, videos (one withheld), pictures', () => {
      const account = emulator.createAccount();
      const posts = emulator.postsOf(account.userId);
      expect(posts.map((post) => post.mediaType)).toEqual([
        'CAROUSEL_ALBUM',
        'VIDEO',
        'IMAGE',
        'VIDEO',
        'IMAGE',
      ]);
      expect(account.mediaCount).toBe(5);
      expect(posts[0].childIds).toHaveLength(4);
      expect(posts[3].mediaUrl).toBeUndefined();
      expect(posts[4]).toMatchObject({ caption: undefined, likeCount: undefined });
      for (const post of posts) {
        expect(BigInt(post.id) > 2n ** 53n).toBe(true);
      }
    });

    it('pages /me/media newest first with after cursors; its next links carry the token, as Instagram does', async () => {
      const account = emulator.createAccount({ posts: 7 });
      const token = await longLivedToken(account);
      const seen: string[] = [];
      let response = await graph('/me/media', token, { fields: 'id,caption', limit: '3' });
      const bodies: MediaPageBody[] = [];
      for (;;) {
        expect(response.status).toBe(200);
        const text = await response.text();
        expect(text).toContain('http:\\/\\/127.0.0.1');
        const body = JSON.parse(text) as MediaPageBody;
        bodies.push(body);
        seen.push(...[...text.matchAll(/"id":"?(\d+)"?/g)].map((match) => match[1]));
        if (body.paging?.next === undefined) {
          break;
        }
        const next = new URL(body.paging.next);
        expect(next.origin).toBe(base);
        expect(next.pathname).toBe(`/v23.0/${account.professionalId}/media`);
        expect(next.searchParams.get('access_token')).toBe(token);
        expect(next.searchParams.get('fields')).toBe('id,caption');
        response = await fetch(body.paging.next);
      }
      expect(bodies.map((body) => body.data.length)).toEqual([3, 3, 1]);
      expect(seen).toEqual(emulator.postsOf(account.userId).map((post) => post.id));
      expect(bodies[0].paging?.previous).toBeUndefined();
      const previous = new URL(bodies[2].paging?.previous as string);
      expect(previous.searchParams.get('access_token')).toBe(token);
      const back = (await (await fetch(previous)).json()) as MediaPageBody;
      expect(back.data).toHaveLength(3);
    });

    it('writes every other media id as a bare JSON number, and timestamps without a colon in the offset', async () => {
      const account = emulator.createAccount({ posts: 4 });
      const token = await longLivedToken(account);
      const text = await (await graph('/me/media', token, { fields: 'id,timestamp' })).text();
      const ids = emulator.postsOf(account.userId).map((post) => post.id);
      const asNumbers = ids.filter((id) => text.includes(`"id":${id}`));
      const asStrings = ids.filter((id) => text.includes(`"id":"${id}"`));
      expect(asNumbers).toHaveLength(2);
      expect(asStrings).toHaveLength(2);
      expect(text).toMatch(/"timestamp":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000"/);
    });

    it('answers media fields as Instagram does: none withheld unless flagged', async () => {
      const account = emulator.createAccount({
        posts: [
          { mediaType: 'VIDEO', withholdMediaUrl: true, hideLikes: true, caption: null },
          { mediaType: 'VIDEO' },
        ],
      });
      const token = await longLivedToken(account);
      const [flagged, video] = emulator.postsOf(account.userId);
      const read = async (id: string) =>
        (await (await graph(`/${id}`, token, { fields: MEDIA_FIELDS })).json()) as Record<
          string,
          unknown
        >;
      expect(Object.keys(await read(flagged.id)).sort()).toEqual([
        'id',
        'media_type',
        'thumbnail_url',
        'timestamp',
      ]);
      expect(await read(video.id)).toMatchObject({
        media_type: 'VIDEO',
        media_url: video.mediaUrl,
        thumbnail_url: video.thumbnailUrl,
        caption: video.caption,
      });
    });

    it("lists a carousel's children with a child's fields, and refuses the fields a child lacks", async () => {
      const account = emulator.createAccount({
        posts: [{ mediaType: 'CAROUSEL_ALBUM', children: ['IMAGE', 'VIDEO'] }, {}],
      });
      const token = await longLivedToken(account);
      const [carousel, picture] = emulator.postsOf(account.userId);
      const children = (await (
        await graph(`/v23.0/${carousel.id}/children`, token, { fields: 'id,media_type,media_url' })
      ).json()) as MediaPageBody;
      expect(children.data.map((child) => child.media_type)).toEqual(['IMAGE', 'VIDEO']);
      expect(children.data.map((child) => String(child.id))).toHaveLength(2);
      const child = emulator.findMedia(carousel.childIds?.[1] as string);
      expect(child).toMatchObject({ parentId: carousel.id, mediaType: 'VIDEO' });
      expect(
        (await graphError(await graph(`/${carousel.id}/children`, token, { fields: 'caption' })))
          .message,
      ).toMatch(/nonexisting field \(caption\)/);
      const none = (await (await graph(`/${picture.id}/children`, token)).json()) as MediaPageBody;
      expect(none).toEqual({ data: [] });
    });

    it("refuses another account's media and an unknown id with 100/33", async () => {
      const mine = emulator.createAccount();
      const theirs = emulator.createAccount();
      const token = await longLivedToken(mine);
      const foreign = emulator.postsOf(theirs.userId)[0].id;
      for (const path of [`/${foreign}`, `/${foreign}/children`, '/17895695660000001']) {
        expect(await graphError(await graph(path, token))).toMatchObject({
          code: 100,
          error_subcode: 33,
        });
      }
      expect(await graphError(await graph(`/${theirs.professionalId}/media`, token))).toMatchObject(
        { code: 100, error_subcode: 33 },
      );
    });

    it('reads the user node and its media by the account id too', async () => {
      const account = emulator.createAccount({ posts: 2 });
      const token = await longLivedToken(account);
      expect(
        await (await graph(`/${account.professionalId}`, token, { fields: 'username' })).json(),
      ).toEqual({ username: account.username });
      const media = (await (
        await graph(`/${account.professionalId}/media`, token)
      ).json()) as MediaPageBody;
      expect(media.data).toHaveLength(2);
    });

    it('pages account insights by since and until with links that carry the token', async () => {
      const account = emulator.createAccount();
      const token = await longLivedToken(account);
      const response = await graph('/me/insights', token, { metric: 'reach', period: 'day' });
      const body = (await response.json()) as MediaPageBody & {
        data: { name: string; values: unknown[] }[];
      };
      expect(body.data[0]).toMatchObject({ name: 'reach', values: expect.any(Array) });
      for (const link of [body.paging?.previous, body.paging?.next]) {
        expect(new URL(link as string).searchParams.get('access_token')).toBe(token);
      }
      expect((await fetch(body.paging?.previous as string)).status).toBe(200);
      expect((await graphError(await graph('/me/insights', token))).message).toMatch(/metric/);
      const post = emulator.postsOf(account.userId)[1];
      const lifetime = (await (
        await graph(`/${post.id}/insights`, token, { metric: 'likes,reach' })
      ).json()) as { data: { name: string }[]; paging?: unknown };
      expect(lifetime.data.map((metric) => metric.name)).toEqual(['likes', 'reach']);
      expect(lifetime.paging).toBeUndefined();
    });

    it('fails media reads of a revoked account with 190, as every graph read', async () => {
      const account = emulator.createAccount();
      const token = await longLivedToken(account);
      emulator.revokeAccount(account.userId);
      expect((await graphError(await graph('/me/media', token))).code).toBe(190);
      expect(emulator.calls.map((call) => call.operation)).toContain('media');
    });

    it('keeps media across a snapshot, and gives posts to accounts of an older snapshot', () => {
      const account = emulator.createAccount({ posts: 3 });
      const snapshot = emulator.snapshot();
      const restored = new InstagramEmulator({ apps: [APP] });
      restored.restore(snapshot);
      expect(restored.postsOf(account.userId)).toEqual(emulator.postsOf(account.userId));
      const older = new InstagramEmulator({ apps: [APP] });
      older.restore({ ...snapshot, media: undefined, posts: undefined });
      expect(older.postsOf(account.userId)).toHaveLength(5);
    });
  });

  describe('faults', () => {
    it('answers transient on the api host in its shape', async () => {
      emulator.injectFault({ operation: 'exchange_code', kind: 'transient' });
      const code = issueCode();
      const response = await exchange({ code });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({ error_type: 'OAuthException', code: 500 });
      expect((await exchange({ code })).status).toBe(200);
    });

    it('answers transient on the graph host as code 2', async () => {
      const token = await shortLivedToken();
      emulator.injectFault({ operation: 'me', kind: 'transient' });
      const response = await me(token, 'id');
      expect(response.status).toBe(500);
      const body = (await response.json()) as { error: Record<string, unknown> };
      expect(body.error).toMatchObject({ code: 2, is_transient: true, type: 'OAuthException' });
    });

    it('rate-limits with code 4 and X-App-Usage', async () => {
      const token = await longLivedToken();
      emulator.advanceClock(DAY);
      emulator.injectFault({ operation: 'refresh', kind: 'rate_limited' });
      const response = await refresh(token);
      expect(response.headers.get('x-app-usage')).toContain('call_count');
      expect(await graphError(response)).toMatchObject({
        code: 4,
        message: 'Application request limit reached',
      });
    });

    it('answers unavailable with an HTML 503', async () => {
      emulator.injectFault({ operation: 'authorize', kind: 'unavailable' });
      const response = await fetch(`${base}/oauth/authorize?${authorizeQuery().toString()}`);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toMatch(/^<!DOCTYPE html>/);
    });

    it('delays and then answers normally', async () => {
      const token = await shortLivedToken();
      emulator.injectFault({ operation: 'me', kind: 'delay', ms: 300 });
      const started = Date.now();
      const response = await me(token, 'id');
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(response.status).toBe(200);
    });

    it('adds its latency to every answer, on top of a delay fault', async () => {
      const token = await shortLivedToken();
      emulator.latencyMs = 200;
      let started = Date.now();
      expect((await me(token, 'id')).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      emulator.injectFault({ operation: 'me', kind: 'delay', ms: 100 });
      started = Date.now();
      expect((await me(token, 'id')).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    });

    it('drops the connection without answering and records status 0', async () => {
      const short = await shortLivedToken();
      emulator.resetCalls();
      emulator.injectFault({ operation: 'exchange_long_lived', kind: 'drop' });
      await expect(exchangeForLongLived(short)).rejects.toThrow('fetch failed');
      expect(emulator.calls).toEqual([
        { operation: 'exchange_long_lived', at: expect.any(Number), status: 0, accessToken: short },
      ]);
    });

    it('answers an arbitrary HTTP response', async () => {
      emulator.injectFault({
        operation: 'exchange_code',
        kind: 'http',
        status: 502,
        body: 'Bad Gateway',
        contentType: 'text/plain',
      });
      const response = await exchange({ code: issueCode() });
      expect(response.status).toBe(502);
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(await response.text()).toBe('Bad Gateway');
    });

    it('serves faults first in first out for the given number of calls, then clears', async () => {
      const token = await shortLivedToken();
      emulator.injectFault({ operation: 'me', kind: 'transient' }, 2);
      emulator.injectFault({ operation: 'me', kind: 'http', status: 418, body: '{}' });
      expect((await me(token, 'id')).status).toBe(500);
      expect((await me(token, 'id')).status).toBe(500);
      expect((await me(token, 'id')).status).toBe(418);
      expect((await me(token, 'id')).status).toBe(200);

      emulator.injectFault({ operation: 'me', kind: 'transient' });
      emulator.clearFaults();
      expect((await me(token, 'id')).status).toBe(200);
    });
  });

  describe('bookkeeping', () => {
    it('records each call with its status and token on the emulator clock', async () => {
      const clock = new InstagramEmulator({ apps: [APP], now: () => 1_700_000_000_000 });
      const url = await clock.start();
      try {
        clock.advanceClock(5000);
        const code = clock.issueCode({
          appId: APP.appId,
          redirectUri: REDIRECT_URI,
          scopes: SCOPES,
        });
        const exchanged = await fetch(`${url}/oauth/access_token`, {
          method: 'POST',
          body: new URLSearchParams({
            client_id: APP.appId,
            client_secret: APP.appSecret,
            grant_type: 'authorization_code',
            redirect_uri: REDIRECT_URI,
            code,
          }),
        });
        const { access_token: token } = (await exchanged.json()) as { access_token: string };
        await fetch(`${url}/me?fields=nope&access_token=${token}`);
        expect(clock.calls).toEqual([
          { operation: 'exchange_code', at: 1_700_000_005_000, status: 200 },
          { operation: 'me', at: 1_700_000_005_000, status: 400, accessToken: token },
        ]);
        expect(clock.inspectToken(token)).toEqual({
          kind: 'short_lived',
          userId: expect.any(String),
          issuedAt: 1_700_000_005_000,
          expiresAt: 1_700_000_005_000 + HOUR,
          revoked: false,
        });
        clock.resetCalls();
        expect(clock.calls).toEqual([]);
      } finally {
        await clock.stop();
      }
    });

    it('answers an unknown path with a 404 graph error', async () => {
      const response = await fetch(`${base}/v23.0/me/stories`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { type: 'OAuthException' } });
      expect(emulator.calls).toEqual([]);
    });

    it('refuses to issue a code for an unregistered redirect_uri', () => {
      expect(() =>
        emulator.issueCode({ appId: APP.appId, redirectUri: 'http://evil/cb', scopes: SCOPES }),
      ).toThrow(/Invalid redirect_uri/);
    });

    it('stops promptly with keep-alive connections open, and forgets its url', async () => {
      const token = await shortLivedToken();
      emulator.injectFault({ operation: 'me', kind: 'delay', ms: 10_000 });
      const pending = me(token, 'id').catch((error: unknown) => error);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const started = Date.now();
      await emulator.stop();
      expect(Date.now() - started).toBeLessThan(1000);
      expect(await pending).toMatchObject({ message: 'fetch failed' });
      expect(() => emulator.url).toThrow(/not started/);
    });
  });
});
