import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Browser, chromium } from 'playwright-core';
import { createApp } from '../src/app.setup.js';
import { type Runtime, startRuntime } from '../src/runtime.js';
import { freePort } from './support/net.js';
import { bearer } from './support/test-app.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  process.stderr.write(
    `browser-consent: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)\n`,
  );
}

(haveChromium ? describe : describe.skip)('consent in a real browser (sandbox mode)', () => {
  let dataDir: string;
  let database: TestDatabase;
  let runtime: Runtime;
  let app: NestFastifyApplication;
  let browser: Browser;
  let baseUrl: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'vault-browser-'));
    database = await createTestDatabase();
    const port = await freePort();
    runtime = await startRuntime(
      { PORT: String(port), DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
      { dataDir, log: () => undefined },
    );
    app = await createApp({ config: runtime.config });
    await app.listen({ port, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await runtime?.stop();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('authorizes, shows the consent page, and lands back on a page naming the stored account on Allow', async () => {
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${baseUrl}/auth/instagram/authorize`);
    expect(page.url()).toContain(`${runtime.sandbox!.emulatorUrl}/oauth/authorize`);
    await page.locator('input[name=username]').fill('browser_jane');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${baseUrl}/auth/instagram/callback?**`);
    expect(await page.textContent('h1')).toBe('Instagram connected');
    expect(await page.textContent('body')).toContain('Connected as @browser_jane');

    const stored = await fetch(`${baseUrl}/tokens`, { headers: bearer(runtime.sandbox!.apiKey) });
    expect(stored.status).toBe(200);
    const { items } = (await stored.json()) as { items: Record<string, unknown>[] };
    expect(items.find((item) => item.username === 'browser_jane')).toMatchObject({
      status: 'active',
      tokenKind: 'long_lived',
    });
    await page.close();
  });

  it('lands back with access_denied on Deny and stores nothing', async () => {
    const before = await fetch(`${baseUrl}/tokens`, { headers: bearer(runtime.sandbox!.apiKey) });
    const countBefore = ((await before.json()) as { items: unknown[] }).items.length;
    const page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${baseUrl}/auth/instagram/authorize`);
    await page.locator('input[name=username]').fill('browser_denier');
    await page.getByRole('button', { name: 'Deny' }).click();
    await page.waitForURL(`${baseUrl}/auth/instagram/callback?**`);
    expect(await page.textContent('h1')).toBe('Instagram not connected');
    expect(await page.textContent('body')).toContain('You chose not to connect');
    const after = await fetch(`${baseUrl}/tokens`, { headers: bearer(runtime.sandbox!.apiKey) });
    expect(((await after.json()) as { items: unknown[] }).items).toHaveLength(countBefore);
    await page.close();
  });
});
