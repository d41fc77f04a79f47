import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../src/app.setup.js';
import { ConfigError } from '../src/config/config.error.js';
import { type Runtime, startRuntime } from '../src/runtime.js';
import { freePort } from './support/net.js';
import { callbackPath, consent } from './support/oauth.js';
import { bearer } from './support/test-app.js';
import {
  createEmptyDatabase,
  createTestDatabase,
  type TestDatabase,
} from './support/test-database.js';

const quiet = (): void => undefined;

describe('sandbox mode (nothing configured)', () => {
  let dataDir: string;
  let runtime: Runtime;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vault-sandbox-'));
    runtime = await startRuntime({ LOG_LEVEL: 'silent' }, { dataDir, log: quiet });
    app = await createApp({ config: runtime.config });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await runtime?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs on the emulator and an embedded database, bound to loopback', () => {
    expect(runtime.sandbox).toBeDefined();
    expect(runtime.embeddedDatabase).toBe(true);
    expect(runtime.config.sandbox).toBe(true);
    expect(runtime.config.http.host).toBe('127.0.0.1');
    expect(runtime.config.instagram.graphUrl).toBe(runtime.sandbox?.emulatorUrl);
    expect(runtime.config.database.url).toMatch(
      /^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/vault$/,
    );
  });

  it('keeps its generated secrets under the data folder, readable by the owner only', async () => {
    const secrets = await stat(join(dataDir, 'sandbox-secrets.json'));
    expect(secrets.mode & 0o077).toBe(0);
    expect((await stat(join(dataDir, 'postgres', 'PG_VERSION'))).isFile()).toBe(true);
  });

  it('lets a person click through consent and then reads their profile with the printed API key', async () => {
    const http = request(app.getHttpServer());
    const apiKey = runtime.sandbox!.apiKey;
    const start = await http.get('/auth/instagram/authorize').expect(302);
    const redirect = await consent(start.headers.location, { username: 'sandbox_jane' });
    const connected = await http.get(callbackPath(redirect)).expect(200);
    expect(connected.body).toMatchObject({
      username: 'sandbox_jane',
      tokenKind: 'long_lived',
      status: 'active',
    });
    const user = await http
      .get(`/users/${connected.body.igUserId}`)
      .set(bearer(apiKey))
      .expect(200);
    expect(user.body).toMatchObject({
      igUserId: connected.body.igUserId,
      username: 'sandbox_jane',
    });
    const list = await http.get('/tokens').set(bearer(apiKey)).expect(200);
    expect(list.body.items.map((item: { igUserId: string }) => item.igUserId)).toContain(
      connected.body.igUserId,
    );
  });
  it('lets a new person connect and then read their posts page by page, never holding the token', async () => {
    const http = request(app.getHttpServer());
    const apiKey = runtime.sandbox!.apiKey;
    const start = await http.get('/auth/instagram/authorize').expect(302);
    const redirect = await consent(start.headers.location, { username: 'sandbox_poster' });
    const { igUserId } = (await http.get(callbackPath(redirect)).expect(200)).body as {
      igUserId: string;
    };

    const media: { id: string; mediaType: string }[] = [];
    let cursor: string | null = null;
    const answers: string[] = [];
    do {
      const page = await http
        .get(`/users/${igUserId}/media`)
        .query(cursor === null ? { limit: 2 } : { limit: 2, cursor })
        .set(bearer(apiKey))
        .expect(200);
      answers.push(page.text);
      media.push(...(page.body.items as { id: string; mediaType: string }[]));
      cursor = page.body.nextCursor as string | null;
    } while (cursor !== null);
    expect(media.length).toBeGreaterThanOrEqual(3);
    expect(media.map((post) => post.mediaType)).toContain('CAROUSEL_ALBUM');
    const carousel = media.find((post) => post.mediaType === 'CAROUSEL_ALBUM')!;
    const detail = await http
      .get(`/users/${igUserId}/media/${carousel.id}`)
      .set(bearer(apiKey))
      .expect(200);
    expect(detail.body.children.length).toBeGreaterThan(1);

    const proxied: string[] = [];
    let next: string | undefined = `/graph/${igUserId}/me/media?fields=id,media_type&limit=2`;
    while (next !== undefined) {
      const page: request.Response = await http.get(next).set(bearer(apiKey)).expect(200);
      // Ids as Instagram wrote them: some are bare numbers above 2^53, which JSON.parse changes.
      proxied.push(...[...page.text.matchAll(/"id":"?(\d+)"?/g)].map((match) => match[1]));
      answers.push(page.text);
      const link: string | undefined = (page.body.paging as { next?: string } | undefined)?.next;
      next = link === undefined ? undefined : new URL(link).pathname + new URL(link).search;
    }
    expect(proxied).toEqual(media.map((post) => post.id));

    const emulatorHost = new URL(runtime.sandbox!.emulatorUrl).host;
    for (const answer of [...answers, detail.text]) {
      expect(answer).not.toMatch(/access_token|IGAA/);
      expect(answer).not.toContain(emulatorHost);
    }
  });
});

describe('sandbox mode restarts', () => {
  let dataDir: string;
  let database: TestDatabase;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vault-sandbox-'));
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps its keys and its emulated Instagram, so stored connections keep working', async () => {
    const env = { DATABASE_URL: database.url, LOG_LEVEL: 'silent' };
    const first = await startRuntime(env, { dataDir, log: quiet });
    let igUserId: string;
    let accessToken: string;
    try {
      expect(first.embeddedDatabase).toBe(false);
      const app = await createApp({ config: first.config });
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
      const http = request(app.getHttpServer());
      const start = await http.get('/auth/instagram/authorize').expect(302);
      const connected = await http
        .get(callbackPath(await consent(start.headers.location)))
        .expect(200);
      igUserId = connected.body.igUserId;
      accessToken = (
        await http
          .get(`/tokens/${igUserId}/access-token`)
          .set(bearer(first.sandbox!.apiKey))
          .expect(200)
      ).body.accessToken;
      await app.close();
    } finally {
      await first.stop();
    }

    const second = await startRuntime(env, { dataDir, log: quiet });
    try {
      expect(second.sandbox!.apiKey).toBe(first.sandbox!.apiKey);
      const app = await createApp({ config: second.config });
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
      const revealed = await request(app.getHttpServer())
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(second.sandbox!.apiKey))
        .expect(200);
      expect(revealed.body.accessToken).toBe(accessToken);
      // The emulator came back with its accounts and tokens: the profile still reads.
      const http = request(app.getHttpServer());
      await http.get(`/users/${igUserId}`).set(bearer(second.sandbox!.apiKey)).expect(200);
      // A new person after the restart gets an id of their own, not a reused one.
      const start = await http.get('/auth/instagram/authorize').expect(302);
      const newcomer = await http
        .get(callbackPath(await consent(start.headers.location)))
        .expect(200);
      expect(newcomer.body.igUserId).not.toBe(igUserId);
      await app.close();
    } finally {
      await second.stop();
    }
  });
});

/** The libpq variables compose passes instead of a URL, read off a test database's URL. */
function libpqVariables(databaseUrl: string): Record<string, string> {
  const url = new URL(databaseUrl);
  return {
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: decodeURIComponent(url.pathname.slice(1)),
  };
}

describe('sandbox mode as docker compose runs it', () => {
  let dataDir: string;
  let database: TestDatabase;
  let runtime: Runtime;
  let app: NestFastifyApplication;
  let emulatorPort: number;
  // What the browser is given: the host's published ports, which the container cannot see.
  const publicUrl = 'http://vault.host.test:8080';
  const emulatorPublicUrl = 'http://emulator.host.test:8041';

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vault-sandbox-'));
    database = await createEmptyDatabase();
    emulatorPort = await freePort();
    runtime = await startRuntime(
      {
        ...libpqVariables(database.url),
        LOG_LEVEL: 'silent',
        EMBEDDED_DATABASE: 'false',
        SANDBOX_EMULATOR_HOST: '127.0.0.1',
        SANDBOX_EMULATOR_PORT: String(emulatorPort),
        SANDBOX_PUBLIC_URL: publicUrl,
        SANDBOX_EMULATOR_PUBLIC_URL: emulatorPublicUrl,
      },
      { dataDir, log: quiet },
    );
    app = await createApp({ config: runtime.config });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await runtime?.stop();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('connects and migrates with PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE', async () => {
    expect(runtime.embeddedDatabase).toBe(false);
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });

  it('sends the browser to the public URLs and calls the emulator where it listens', async () => {
    expect(runtime.sandbox?.emulatorUrl).toBe(`http://127.0.0.1:${emulatorPort}`);
    const http = request(app.getHttpServer());
    const start = await http.get('/auth/instagram/authorize').expect(302);
    const authorize = new URL(start.headers.location);
    expect(authorize.origin).toBe(emulatorPublicUrl);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${publicUrl}/auth/instagram/callback`);

    // The consent form, as the browser posts it through the host's port to the emulator.
    const listening = new URL(authorize.pathname + authorize.search, runtime.sandbox!.emulatorUrl);
    const redirect = await consent(listening.href, { username: 'compose_jane' });
    expect(redirect.origin).toBe(publicUrl);
    const connected = await http.get(callbackPath(redirect)).expect(200);
    expect(connected.body).toMatchObject({ username: 'compose_jane', status: 'active' });
    await http
      .get(`/users/${connected.body.igUserId}`)
      .set(bearer(runtime.sandbox!.apiKey))
      .expect(200);
  });
});

describe('configuration errors', () => {
  it('stops in one line when no database is named and the embedded one is off, starting nothing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vault-config-'));
    try {
      const failure = startRuntime({ EMBEDDED_DATABASE: 'false' }, { dataDir, log: quiet });
      await expect(failure).rejects.toBeInstanceOf(ConfigError);
      await expect(failure).rejects.toThrow(/^DATABASE_URL: set DATABASE_URL, or PGHOST/);
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('stops the boot with a line naming the variable, before starting anything', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'vault-config-'));
    try {
      const failure = startRuntime(
        { INSTAGRAM_APP_ID: '123', INSTAGRAM_REDIRECT_URI: 'https://x.test/cb' },
        { dataDir, log: quiet },
      );
      await expect(failure).rejects.toBeInstanceOf(ConfigError);
      await expect(failure).rejects.toThrow(/^INSTAGRAM_APP_SECRET: is required/);
      await expect(stat(join(dataDir, 'postgres'))).rejects.toThrow();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
