import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MediaPage } from './support/media.js';
import { readAllMediaPages, readGraph, followGraphPages } from './support/media.js';
import { API_KEY, bearer, REDIRECT_URI, startTestApp, type TestApp } from './support/test-app.js';

/**
 * An Instagram written from INSTAGRAM.md alone, sharing nothing with the project's emulator:
 * fixed answers typed out as Instagram sends them (escaped slashes, \u escapes, ids as bare
 * numbers above 2^53, `+0000` offsets, paging links that carry the token).
 */
class StandIn {
  readonly longToken = 'IGQWRstandInLongLivedToken0123456789abcdefghijklmnopqrstuvwxyzABCD';
  readonly requests: URL[] = [];
  private server?: Server;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', this.origin);
      this.requests.push(url);
      request.resume();
      const body = this.answer(request.method ?? 'GET', url);
      response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
      response.end(
        body ?? '{"error":{"message":"Unknown path","type":"OAuthException","code":2500}}',
      );
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => {
      this.server?.close(resolve);
      this.server?.closeAllConnections();
    });
  }

  /** The origin as Instagram writes it inside JSON strings. */
  private get escapedOrigin(): string {
    return this.origin.replaceAll('/', '\\/');
  }

  pageOne(): string {
    const next =
      `${this.escapedOrigin}\\/v23.0\\/17841400000000099\\/media?access_token=${this.longToken}` +
      '&fields=id%2Ccaption%2Cmedia_type%2Cmedia_url%2Ctimestamp&limit=2&after=QVFIUmFmdGVyMQ%3D%3D';
    return (
      '{\n  "data": [\n' +
      '    {"id": 17895695668004557, "caption": "caf\\u00e9 \\/ sunset \\ud83c\\udf05", "media_type": "IMAGE",' +
      ' "media_url": "https:\\/\\/scontent.cdninstagram.com\\/v\\/t51\\/1.jpg?stp=dst&_nc_ht=x", "timestamp": "2026-11-20T10:00:00+0000"},\n' +
      '    {"id": "17895695668004559", "caption": "no url for this one", "media_type": "VIDEO", "timestamp": "2026-11-19T08:30:00+0000"}\n' +
      '  ],\n' +
      `  "paging": {"cursors": {"before": "QVFIUmJlZm9yZTE=", "after": "QVFIUmFmdGVyMQ=="}, "next": "${next}"}\n}`
    );
  }

  pageTwo(): string {
    const previous =
      `${this.escapedOrigin}\\/v23.0\\/17841400000000099\\/media?access_token=${this.longToken}` +
      '&limit=2&before=QVFIUmJlZm9yZTI%3D';
    return (
      '{"data":[{"id":27640875392278831,"caption":"last","media_type":"CAROUSEL_ALBUM",' +
      '"media_url":"https:\\/\\/scontent.cdninstagram.com\\/v\\/3.jpg","timestamp":"2026-11-18T00:00:00+0000"}],' +
      `"paging":{"cursors":{"before":"QVFIUmJlZm9yZTI=","after":"QVFIUmFmdGVyMg=="},"previous":"${previous}"}}`
    );
  }

  private answer(method: string, url: URL): string | undefined {
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    if (method === 'POST' && path === '/oauth/access_token') {
      return '{"access_token":"IGQWRstandInShortLived0123456789","user_id":17841405793187219,"permissions":"instagram_business_basic"}';
    }
    if (path === '/access_token') {
      return `{"access_token":"${this.longToken}","token_type":"bearer","expires_in":5183944}`;
    }
    if (path === '/me') {
      return '{"id":"17841400000000097","user_id":17841400000000099,"username":"standin_jane"}';
    }
    if (path === '/me/media' || path === '/17841400000000099/media') {
      return url.searchParams.get('after') === 'QVFIUmFmdGVyMQ==' ? this.pageTwo() : this.pageOne();
    }
    return undefined;
  }
}

describe('against an independent stand-in for Instagram', () => {
  const standIn = new StandIn();
  let test: TestApp;
  let igUserId: string;

  beforeAll(async () => {
    await standIn.start();
    test = await startTestApp({
      INSTAGRAM_API_URL: standIn.origin,
      INSTAGRAM_GRAPH_URL: standIn.origin,
    });
    const connected = await test.http
      .post('/auth/instagram/token')
      .set(bearer(API_KEY.tokensWrite))
      .send({ code: 'AQstandInCode#_', redirectUri: REDIRECT_URI })
      .expect(201);
    igUserId = connected.body.igUserId as string;
  });

  afterAll(async () => {
    await test?.close();
    await standIn.stop();
  });

  it('connects the account under the exact id Instagram sent as a bare number', () => {
    expect(igUserId).toBe('17841405793187219');
  });

  it('reads the posts page by page through /users/:id/media, decoded and exact', async () => {
    const pages = await readAllMediaPages(test, igUserId, 2);

    const items = pages.flatMap((page) => (page.body as MediaPage).items);
    expect(items.map((item) => item.id)).toEqual([
      '17895695668004557',
      '17895695668004559',
      '27640875392278831',
    ]);
    expect(items[0]).toMatchObject({
      caption: 'café / sunset 🌅',
      mediaUrl: 'https://scontent.cdninstagram.com/v/t51/1.jpg?stp=dst&_nc_ht=x',
      timestamp: '2026-11-20T10:00:00.000Z',
    });
    expect(items[1]).toMatchObject({ mediaType: 'VIDEO', mediaUrl: null });
    const asked = standIn.requests.filter((url) => url.pathname.endsWith('/media'));
    expect(asked.map((url) => url.searchParams.get('after'))).toEqual([null, 'QVFIUmFmdGVyMQ==']);
    expect(asked.every((url) => url.searchParams.get('access_token') === standIn.longToken)).toBe(
      true,
    );
  });

  it("reads them through the proxy byte for byte, Instagram's paging links turned into the vault's", async () => {
    const pages = await followGraphPages(
      test,
      await readGraph(
        test,
        igUserId,
        'me/media?fields=id,caption,media_type,media_url,timestamp&limit=2',
      ),
    );

    expect(pages).toHaveLength(2);
    const [first, second] = pages;
    const next = first.body.paging.next as string;
    expect(first.text).toBe(
      standIn.pageOne().replace(/"next": "[^"]+"/, `"next": ${JSON.stringify(next)}`),
    );
    const nextUrl = new URL(next);
    expect(nextUrl.pathname).toBe(`/graph/${igUserId}/me/media`);
    expect(nextUrl.searchParams.get('after')).toBe('QVFIUmFmdGVyMQ==');
    const previous = second.body.paging.previous as string;
    expect(second.text).toBe(
      standIn.pageTwo().replace(/"previous":"[^"]+"/, `"previous":${JSON.stringify(previous)}`),
    );
    expect(first.text).toContain('"id": 17895695668004557');
    expect(second.text).toContain('"id":27640875392278831');
  });

  it('leaves no token in any answer, paging link or log line', async () => {
    const answers = [
      ...(await readAllMediaPages(test, igUserId, 2)),
      ...(await followGraphPages(test, await readGraph(test, igUserId, 'me/media?limit=2'))),
      await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead)).expect(200),
    ];

    for (const answer of answers) {
      expect(answer.text).not.toContain(standIn.longToken);
      expect(answer.text).not.toContain('IGQWRstandInShortLived');
      expect(answer.text).not.toContain(new URL(standIn.origin).host);
      expect(answer.text).not.toContain('access_token');
    }
    const log = test.logs.join('\n');
    expect(log).toContain('/graph/');
    expect(log).not.toContain(standIn.longToken);
    expect(log).not.toContain('IGQWRstandInShortLived');
    expect(log).not.toContain('AQstandInCode');
  });
});
