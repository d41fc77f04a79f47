// CI's Docker part: builds the image with docker compose and runs the compose stack twice, as a
// user would, checking everything from the host over the published ports:
//   1. no .env: sandbox mode. Consent posted through the published emulator port (and pressed
//      in Chromium where /usr/bin/chromium exists), the profile read with the API key from
//      `docker compose logs vault`, keys and emulated accounts kept across `down` and `up`.
//   2. a throwaway .env: production mode. Instagram is the emulator in a container of its own
//      (the image's `node dist/emulator/main.js`); a database password full of URL characters.
// Also: the image is under 250 MB, runs Node 24, and `docker run` without a database says so in
// one line. Every stack is removed with `down -v` whatever happens.
// Usage: node scripts/compose-smoke.mjs   (needs a Docker daemon and docker compose or docker-compose)
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const IMAGE_LIMIT_BYTES = 250e6;
const CHROMIUM = '/usr/bin/chromium';
const REQUEST_TIMEOUT_MS = 10_000;
// One tag per checkout: warm rebuilds reuse it, and two checkouts never test each other's code.
const image = `instagram-token-vault:ci-${createHash('sha1').update(root).digest('hex').slice(0, 8)}`;
const work = mkdtempSync(join(tmpdir(), 'vault-compose-smoke-'));
const composeCommand = findCompose();
const started = Date.now();

function findCompose() {
  if (spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0) {
    return ['docker', 'compose'];
  }
  return ['docker-compose'];
}

function log(line) {
  console.log(`[compose-smoke ${((Date.now() - started) / 1000).toFixed(0)}s] ${line}`);
}

function fail(message) {
  throw new Error(message);
}

function expect(condition, message) {
  if (!condition) {
    fail(message);
  }
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    ...options,
  });
  if (result.error) {
    throw result.error;
  }
  return { status: result.status, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function mustRun(command, args, options) {
  const result = run(command, args, options);
  if (result.status !== 0) {
    fail(`${command} ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  }
  return result;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One compose project: its own name, env file and ports; nothing of the caller's environment. */
class Stack {
  constructor(name, envFile, files = []) {
    this.project = `vaultsmoke${name}${process.pid}`;
    this.args = ['-p', this.project, '--env-file', envFile, '-f', join(root, 'docker-compose.yml')];
    for (const file of files) {
      this.args.push('-f', file);
    }
    // Only what docker itself needs: a developer's or CI's DATABASE_URL, PORT, INSTAGRAM_* must
    // not leak into the stack (compose prefers the shell's variables over the env file).
    this.env = { VAULT_IMAGE: image, COMPOSE_DOCKER_CLI_BUILD: '0', DOCKER_BUILDKIT: '0' };
    for (const name of ['PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CERT_PATH']) {
      if (process.env[name] !== undefined) {
        this.env[name] = process.env[name];
      }
    }
  }

  compose(args, options = {}) {
    const [command, ...prefix] = composeCommand;
    return run(command, [...prefix, ...this.args, ...args], { env: this.env, ...options });
  }

  mustCompose(args) {
    const result = this.compose(args);
    if (result.status !== 0) {
      fail(`compose ${args.join(' ')} exited ${result.status}:\n${result.stdout}${result.stderr}`);
    }
    return result;
  }

  logs(service = 'vault') {
    return this.compose(['logs', '--no-color', service]).stdout;
  }

  /** `docker compose stop` must exit 0, and so must the vault: SIGTERM drains and exits 0. */
  stop() {
    const vault = this.mustCompose(['ps', '-q', 'vault']).stdout.trim();
    this.mustCompose(['stop']);
    const code = mustRun('docker', ['inspect', '-f', '{{.State.ExitCode}}', vault]).stdout.trim();
    expect(code === '0', `the vault exited ${code} on docker compose stop:\n${this.logs()}`);
  }

  down() {
    this.compose(['down', '-v', '--remove-orphans']);
  }

  /** Runs checks against this stack: its logs shown on failure, `down -v` whatever happens. */
  async check(checks) {
    try {
      await checks();
    } catch (error) {
      console.error(this.logs());
      throw error;
    } finally {
      this.down();
    }
  }
}

async function http(url, init = {}) {
  const response = await fetch(url, {
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    ...init,
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

async function waitUntilReady(base, stack) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const status = await fetch(`${base}/health/ready`, {
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  fail(`GET ${base}/health/ready never answered 200:\n${stack.logs()}`);
}

function expectProblem(response, status, code) {
  expect(
    response.status === status &&
      response.headers.get('content-type')?.startsWith('application/problem+json') &&
      response.body?.code === code,
    `expected a ${status} ${code} problem, got ${response.status} ${response.text}`,
  );
}

/** What a browser does: follow the authorize redirect, load the consent page, press Allow. */
async function consentInBrowser(base, authorizeLocation, expectedEmulatorOrigin, username) {
  const authorize = new URL(authorizeLocation);
  expect(
    authorize.origin === expectedEmulatorOrigin,
    `the authorize URL ${authorize.origin} is not the host's emulator port ${expectedEmulatorOrigin}`,
  );
  const page = await http(authorize.href);
  expect(page.status === 200 && page.text.includes('<form'), `consent page: ${page.status}`);
  const form = new URLSearchParams();
  for (const [, name, value] of page.text.matchAll(
    /<input type="hidden" name="([^"]+)" value="([^"]*)">/g,
  )) {
    form.set(
      name,
      value.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&amp;', '&'),
    );
  }
  form.set('username', username);
  form.set('decision', 'allow');
  const allowed = await http(new URL('/oauth/authorize', authorize).href, {
    method: 'POST',
    body: form,
  });
  const location = allowed.headers.get('location');
  expect(allowed.status === 302 && location !== null, `Allow answered ${allowed.status}`);
  const callback = new URL(location);
  expect(
    callback.origin === base,
    `Instagram sent the browser to ${callback.origin}, not to the vault at ${base}`,
  );
  const connected = await http(`${base}${callback.pathname}${callback.search}`);
  expect(connected.status === 200, `callback: ${connected.status} ${connected.text}`);
  expect(
    connected.body.username === username && connected.body.status === 'active',
    `callback answered ${connected.text}`,
  );
  expect(!/accessToken|access_token/.test(connected.text), 'the callback returned a token');
  return connected.body.igUserId;
}

async function checkFlow({ base, emulatorOrigin, apiKey, stack }) {
  const auth = { authorization: `Bearer ${apiKey}` };
  expectProblem(await http(`${base}/tokens`), 401, 'unauthorized');
  expect((await http(`${base}/tokens`, { headers: auth })).status === 200, 'the API key works');
  expectProblem(
    await http(`${base}/auth/instagram/token`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    }),
    400,
    'validation_failed',
  );

  const start = await http(`${base}/auth/instagram/authorize`);
  expect(start.status === 302, `authorize: ${start.status} ${start.text}`);
  const username = `smoke_${randomBytes(3).toString('hex')}`;
  const igUserId = await consentInBrowser(
    base,
    start.headers.get('location'),
    emulatorOrigin,
    username,
  );
  const user = await http(`${base}/users/${igUserId}`, { headers: auth });
  expect(
    user.status === 200 && user.body.igUserId === igUserId && user.body.username === username,
    `GET /users/${igUserId}: ${user.status} ${user.text}`,
  );
  log(`consent flow completed over HTTP; GET /users/${igUserId} answered @${username}`);

  // /metrics is not on the published API port; it answers on METRICS_PORT inside the network.
  expectProblem(await http(`${base}/metrics`), 404, 'not_found');
  const metrics = stack.mustCompose([
    'exec',
    '-T',
    'vault',
    'node',
    '-e',
    "fetch('http://127.0.0.1:9464/metrics').then((r) => r.text()).then((t) => console.log(t))",
  ]).stdout;
  expect(
    /^vault_connections\{status="active"\} [1-9]/m.test(metrics),
    `metrics on METRICS_PORT: ${metrics.slice(0, 300)}`,
  );
  return { igUserId, auth };
}

/** The README's "Try it", in a real browser on the host, where Debian's Chromium is installed. */
async function clickThroughInChromium(base, auth) {
  if (!existsSync(CHROMIUM)) {
    log(`browser click-through skipped: no Chromium at ${CHROMIUM} (the HTTP flow above ran)`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${base}/auth/instagram/authorize`);
    const username = `browser_${randomBytes(3).toString('hex')}`;
    await page.fill('#username', username);
    // Activated from the keyboard: a pointer click lands by coordinates, which a late reflow on a
    // loaded machine can move onto Deny.
    await page.focus('button[value=allow]');
    await Promise.all([
      page.waitForURL(`${base}/auth/instagram/callback?**`),
      page.keyboard.press('Enter'),
    ]);
    // A browser gets a page naming the account and nothing else (no token, no id of ours).
    const landed = (await page.textContent('body')) ?? '';
    expect(
      landed.includes(`Connected as @${username}`) && !/token|ownerId/i.test(landed),
      `the browser landed on ${page.url()}: ${landed}`,
    );
    const listed = await http(`${base}/tokens?limit=100`, { headers: auth });
    const connection = listed.body?.items?.find((item) => item.username === username);
    expect(connection !== undefined, `the browser's connection is not listed: ${listed.text}`);
    const user = await http(`${base}/users/${connection.igUserId}`, { headers: auth });
    expect(user.body?.username === username, `the browser's connection: ${user.text}`);
    log(`Chromium on the host pressed Allow and landed on the vault as @${username}`);
  } finally {
    await browser.close();
  }
}

function checkImage() {
  const size = Number(mustRun('docker', ['image', 'inspect', '-f', '{{.Size}}', image]).stdout);
  log(`image ${image}: ${(size / 1e6).toFixed(0)} MB`);
  expect(size < IMAGE_LIMIT_BYTES, `the image is ${(size / 1e6).toFixed(0)} MB, over 250 MB`);
  const version = mustRun('docker', ['run', '--rm', image, 'node', '--version']).stdout.trim();
  expect(/^v24\./.test(version), `the image runs Node ${version}, not 24`);
  const bare = run('docker', ['run', '--rm', image]);
  const lines = `${bare.stdout}${bare.stderr}`.trim().split('\n');
  expect(
    bare.status === 1 &&
      lines.length === 1 &&
      /DATABASE_URL/.test(lines[0]) &&
      /PGHOST/.test(lines[0]),
    `docker run without a database: exit ${bare.status}, output:\n${lines.join('\n')}`,
  );
  log(`docker run without a database: "${lines[0]}"`);
}

async function sandbox() {
  const port = await freePort();
  const emulatorPort = await freePort();
  const envFile = join(work, 'sandbox.env');
  // No .env of the user's: the ports only, as a user with other things on 3000/4100 would set.
  writeFileSync(envFile, `PORT=${port}\nSANDBOX_EMULATOR_PORT=${emulatorPort}\n`);
  const stack = new Stack('sbx', envFile);
  const base = `http://127.0.0.1:${port}`;
  await stack.check(async () => {
    stack.mustCompose(['up', '-d']);
    await waitUntilReady(base, stack);
    const apiKey = /API key \(all scopes\): (sbx_[A-Za-z0-9_-]+)/.exec(stack.logs())?.[1];
    expect(apiKey !== undefined, `no API key in docker compose logs vault:\n${stack.logs()}`);
    log(`sandbox ready on ${base}; API key found in docker compose logs vault`);
    // The browser first, so its flow is not the one that follows seconds of idle keep-alive
    // sockets between the vault and the emulator: once, such a call failed as `unavailable`
    // (the Instagram client's connection reuse, not what this checks).
    await clickThroughInChromium(base, { authorization: `Bearer ${apiKey}` });
    const { igUserId, auth } = await checkFlow({
      base,
      emulatorOrigin: `http://127.0.0.1:${emulatorPort}`,
      apiKey,
      stack,
    });

    // Kept in the named volumes: the same key and the same emulated account after down and up.
    stack.stop();
    stack.mustCompose(['down']);
    stack.mustCompose(['up', '-d']);
    await waitUntilReady(base, stack);
    const keys = new Set(stack.logs().match(/sbx_[A-Za-z0-9_-]+/g));
    expect(keys.size === 1 && keys.has(apiKey), `the API key changed across down/up: ${[...keys]}`);
    const again = await http(`${base}/users/${igUserId}`, { headers: auth });
    expect(again.status === 200, `after down/up, GET /users/${igUserId}: ${again.status}`);
    log('sandbox keys and emulated accounts survived docker compose down/up');
    stack.stop();
    log('sandbox: docker compose stop exited 0, the vault exited 0');
  });
}

async function production() {
  const port = await freePort();
  const instagramPort = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const appId = `17${Date.now()}`.slice(0, 16);
  const appSecret = randomBytes(16).toString('hex');
  const apiKey = randomBytes(24).toString('hex');
  const redirectUri = `${base}/auth/instagram/callback`;
  const envFile = join(work, 'production.env');
  writeFileSync(
    envFile,
    [
      // Characters that break a URL: compose passes PG* variables, never a URL.
      `POSTGRES_PASSWORD=Sm0ke@:/#%?${randomBytes(8).toString('hex')}`,
      `PORT=${port}`,
      `SANDBOX_EMULATOR_PORT=${await freePort()}`,
      `INSTAGRAM_APP_ID=${appId}`,
      `INSTAGRAM_APP_SECRET=${appSecret}`,
      `INSTAGRAM_REDIRECT_URI=${redirectUri}`,
      `INSTAGRAM_AUTHORIZE_URL=http://127.0.0.1:${instagramPort}/oauth/authorize`,
      'INSTAGRAM_API_URL=http://instagram:4100',
      'INSTAGRAM_GRAPH_URL=http://instagram:4100',
      `TOKEN_ENCRYPTION_KEYS=k1:${randomBytes(32).toString('base64')}`,
      `API_KEYS=smoke:${apiKey}:*`,
      '',
    ].join('\n'),
  );
  const instagram = join(work, 'instagram.yml');
  writeFileSync(
    instagram,
    [
      'services:',
      '  instagram:',
      `    image: ${image}`,
      '    command: ["node", "dist/emulator/main.js"]',
      '    healthcheck:',
      '      disable: true',
      '    environment:',
      '      EMULATOR_HOST: 0.0.0.0',
      '      EMULATOR_PORT: "4100"',
      `      EMULATOR_APP_ID: "${appId}"`,
      `      EMULATOR_APP_SECRET: ${appSecret}`,
      `      EMULATOR_REDIRECT_URIS: ${redirectUri}`,
      '    ports:',
      `      - "127.0.0.1:${instagramPort}:4100"`,
      '',
    ].join('\n'),
  );
  const stack = new Stack('prod', envFile, [instagram]);
  await stack.check(async () => {
    stack.mustCompose(['up', '-d']);
    await waitUntilReady(base, stack);
    expect(!stack.logs().includes('SANDBOX MODE'), 'production mode printed the sandbox banner');
    log(`production mode ready on ${base}`);
    const { igUserId, auth } = await checkFlow({
      base,
      emulatorOrigin: `http://127.0.0.1:${instagramPort}`,
      apiKey,
      stack,
    });
    const revealed = await http(`${base}/tokens/${igUserId}/access-token`, { headers: auth });
    expect(
      revealed.status === 200 && typeof revealed.body.accessToken === 'string',
      `reveal: ${revealed.status}`,
    );
    stack.stop();
    log('production: docker compose stop exited 0, the vault exited 0');
  });
}

// A request to a published port whose container is not listening yet can leave fetch with
// neither an answer nor a handle that keeps Node running (exit 13); this timer keeps the process
// alive until every request has answered or hit its timeout.
const keepAlive = setInterval(() => undefined, 1000);
/**
 * The image as compose builds it. Its build stages are tagged per checkout too: the next run
 * finds its cache, and the stages earlier runs left untagged (about 1.3 GB per source change)
 * are pruned; only this project's images carry its label.
 */
function buildImage() {
  const started = Date.now();
  for (const target of ['build', 'runtime-files']) {
    mustRun('docker', ['build', '-q', '--target', target, '-t', `${image}-${target}`, '.'], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
    });
  }
  const empty = join(work, 'empty.env');
  writeFileSync(empty, '');
  new Stack('build', empty).mustCompose(['build', 'vault']);
  log(`built ${image} with compose in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  mustRun('docker', [
    'image',
    'prune',
    '--force',
    '--filter',
    'label=org.opencontainers.image.title=instagram-token-vault',
  ]);
}

try {
  buildImage();
  checkImage();
  await sandbox();
  await production();
  log('passed');
} catch (error) {
  console.error(
    `[compose-smoke] FAILED: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exitCode = 1;
} finally {
  clearInterval(keepAlive);
  rmSync(work, { recursive: true, force: true });
}
