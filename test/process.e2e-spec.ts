import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/common/project-root.js';
import { InstagramEmulator } from '../src/emulator/instagram-emulator.js';
import { freePort } from './support/net.js';
import { consent } from './support/oauth.js';

const root = projectRoot();
const API_SECRET = 'process-test-secret-0000001';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The arguments `npm run start:prod` gives node (flags, then the entry point). */
function startProdArgs(): string[] {
  const scripts = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  const [node, ...args] = scripts['start:prod'].split(/\s+/);
  expect(node).toBe('node');
  return args.map((arg) => (arg.startsWith('-') ? arg : join(root, arg)));
}

function startService(cwd: string, env: Record<string, string>): Started {
  const child = spawn(process.execPath, startProdArgs(), {
    cwd,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitUntilReady(baseUrl: string, started: Started): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    const status = await fetch(`${baseUrl}/health/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the service did not become ready:\n${started.output()}`);
}

interface ProductionSetup {
  cwd: string;
  baseUrl: string;
  emulator: InstagramEmulator;
  env: Record<string, string>;
  cleanUp(): Promise<void>;
}

/** A folder to run in, an emulated Instagram with an app registered, and the env to use it. */
async function productionSetup(appId: string): Promise<ProductionSetup> {
  const cwd = await mkdtemp(join(tmpdir(), 'vault-process-'));
  // As root the embedded server runs as `postgres`, which must be able to enter the folder.
  await chmod(cwd, 0o755);
  const emulator = new InstagramEmulator();
  const emulatorUrl = await emulator.start();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const appSecret = randomBytes(16).toString('hex');
  emulator.registerApp({ appId, appSecret, redirectUris: [`${baseUrl}/auth/instagram/callback`] });
  return {
    cwd,
    baseUrl,
    emulator,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      INSTAGRAM_APP_ID: appId,
      INSTAGRAM_APP_SECRET: appSecret,
      INSTAGRAM_REDIRECT_URI: `${baseUrl}/auth/instagram/callback`,
      INSTAGRAM_AUTHORIZE_URL: `${emulatorUrl}/oauth/authorize`,
      INSTAGRAM_API_URL: emulatorUrl,
      INSTAGRAM_GRAPH_URL: emulatorUrl,
      TOKEN_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      API_KEYS: `all:${API_SECRET}:*`,
    },
    cleanUp: async () => {
      await emulator.stop();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}

/** Consents through the running service; answers the connection's id. */
async function connectThrough(baseUrl: string): Promise<string> {
  const authorize = await fetch(`${baseUrl}/auth/instagram/authorize`, { redirect: 'manual' });
  const redirect = await consent(authorize.headers.get('location') as string);
  const callback = await fetch(`${baseUrl}${redirect.pathname}${redirect.search}`);
  return ((await callback.json()) as { igUserId: string }).igUserId;
}

describe('the service as a process (npm run start:prod)', () => {
  beforeAll(() => {
    // The production build, as `npm run build` makes it: compiled, then bundled.
    execFileSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs')], {
      cwd: root,
      stdio: 'inherit',
    });
  }, 120_000);

  it('stops with one line naming a bad variable, exit code 1', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'vault-process-'));
    try {
      const started = startService(cwd, {
        INSTAGRAM_APP_ID: '123',
        INSTAGRAM_REDIRECT_URI: 'https://vault.test/cb',
      });
      expect(await started.exited).toBe(1);
      expect(started.output().trim()).toBe(
        'Configuration error: INSTAGRAM_APP_SECRET: is required when INSTAGRAM_APP_ID is set',
      );
      expect(existsSync(join(cwd, '.data'))).toBe(false);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it("runs from the build's code cache under start:prod's flags, and from source under others", () => {
    const check = (args: string[]) =>
      spawnSync(process.execPath, [...args, '--check-code-cache'], { encoding: 'utf8' });
    const prod = startProdArgs();
    const accepted = check(prod);
    expect(accepted.stdout).toMatch(/^code cache accepted: .*service\.cjs\.v8-cache\n$/);
    expect(accepted.status).toBe(0);

    // Another V8 flag: V8 refuses the cache, and the service compiles its source instead.
    const otherFlags = prod.map((arg) =>
      arg === '--max-semi-space-size=16' ? '--max-semi-space-size=8' : arg,
    );
    expect(otherFlags).not.toEqual(prod);
    const rejected = check(otherFlags);
    expect(rejected.stdout).toMatch(/^code cache rejected: /);
    expect(rejected.status).toBe(1);
    const fromSource = spawnSync(process.execPath, otherFlags, {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', INSTAGRAM_APP_ID: '123' },
    });
    expect(fromSource.status).toBe(1);
    expect(fromSource.stderr.trim()).toMatch(
      /^Configuration error: INSTAGRAM_APP_SECRET: is required/,
    );
  });

  it('without a database and with the embedded one off (the image), stops with one line', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'vault-process-'));
    try {
      const started = startService(cwd, { EMBEDDED_DATABASE: 'false' });
      expect(await started.exited).toBe(1);
      expect(started.output().trim().split('\n')).toEqual([
        expect.stringMatching(
          /^Configuration error: DATABASE_URL: set DATABASE_URL, or PGHOST with PGPORT, PGUSER, PGPASSWORD and PGDATABASE/,
        ),
      ]);
      expect(existsSync(join(cwd, '.data'))).toBe(false);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('on SIGTERM answers every accepted request, stops its embedded database last, and exits 0', async () => {
    const { cwd, baseUrl, emulator, env, cleanUp } = await productionSetup('1700000000000042');
    const started = startService(cwd, env);
    try {
      await waitUntilReady(baseUrl, started);
      const igUserId = await connectThrough(baseUrl);

      emulator.injectFault({ operation: 'me', kind: 'delay', ms: 1500 }, 5);
      const inFlight = Array.from({ length: 5 }, () =>
        fetch(`${baseUrl}/users/${igUserId}`, {
          headers: { authorization: `Bearer ${API_SECRET}` },
        }).then((response) => response.status),
      );
      await new Promise((resolve) => setTimeout(resolve, 400));
      started.child.kill('SIGTERM');

      expect(await Promise.all(inFlight)).toEqual([200, 200, 200, 200, 200]);
      expect(await started.exited).toBe(0);
      const log = started.output();
      expect(log).toContain('SIGTERM received');
      expect(log.indexOf('PostgreSQL stopped')).toBeGreaterThan(log.indexOf('SIGTERM received'));
      expect(existsSync(join(cwd, '.data/postgres/postmaster.pid'))).toBe(false);
      // The bundle keeps the names of classes that name themselves (tsc's `X = X_1 = class X`).
      expect(log).toContain('"context":"AuthService"');
      expect(log).not.toMatch(/"context":"\w+_\d+"/);
    } finally {
      started.child.kill('SIGKILL');
      await cleanUp();
    }
  }, 60_000);

  it('after kill -9 with its embedded database, starts again with the data intact', async () => {
    const { cwd, baseUrl, env, cleanUp } = await productionSetup('1700000000000043');
    const first = startService(cwd, env);
    let second: Started | undefined;
    try {
      await waitUntilReady(baseUrl, first);
      const igUserId = await connectThrough(baseUrl);
      const pidFile = join(cwd, '.data/postgres/postmaster.pid');
      const orphan = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);

      first.child.kill('SIGKILL');
      await first.exited;
      expect(isAlive(orphan)).toBe(true);

      second = startService(cwd, env);
      await waitUntilReady(baseUrl, second);
      expect(isAlive(orphan)).toBe(false);
      expect(second.output()).toMatch(/left running .* by a service that died/);
      const stored = await fetch(`${baseUrl}/tokens/${igUserId}`, {
        headers: { authorization: `Bearer ${API_SECRET}` },
      });
      expect(stored.status).toBe(200);
      expect(((await stored.json()) as { igUserId: string }).igUserId).toBe(igUserId);

      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await cleanUp();
    }
  }, 60_000);
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}
