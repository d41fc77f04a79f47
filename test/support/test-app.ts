import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../../src/app.setup.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { parseEnv } from '../../src/config/env.schema.js';
import {
  type EmulatorCall,
  type EmulatorOperation,
  InstagramEmulator,
} from '../../src/emulator/instagram-emulator.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

/** API keys of the test app: one per scope, one with all, and their secrets. */
export const API_KEY = {
  all: 'all-scopes-secret-0000000001',
  tokensRead: 'tokens-read-secret-00000002',
  tokensWrite: 'tokens-write-secret-0000003',
  tokensReveal: 'tokens-reveal-secret-000004',
  usersRead: 'users-read-secret-000000005',
  graphRead: 'graph-read-secret-000000006',
} as const;

export const REDIRECT_URI = 'https://vault.test/auth/instagram/callback';
export const RETURN_ORIGIN = 'https://app.test';

export interface TestApp {
  app: NestFastifyApplication;
  http: ReturnType<typeof request>;
  emulator: InstagramEmulator;
  config: AppConfig;
  appId: string;
  appSecret: string;
  encryptionKey: string;
  database: TestDatabase;
  /** Runs SQL on the test's own database (arranging fixtures, reading what was stored). */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<T[]>;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * nestjs-pino builds one root logger per module registry (per spec file) from the first app's
 * options, so every app of a file writes here and the sink hands lines to the newest app.
 */
const logSink = {
  lines: [] as string[],
  write(line: string): void {
    this.lines.push(line);
  },
};

/**
 * Boots the real app (same createApp as production) on a fresh database copied from the
 * migrated template, against a fresh Instagram emulator over loopback.
 */
export interface StartOptions {
  /**
   * Another replica of `peer`: the same database, emulator, app and keys, its own process
   * state. Closing it leaves the shared parts to the peer.
   */
  peer?: TestApp;
  /** A database of the test's own (say, one it stops); dropped when the app closes. */
  database?: TestDatabase;
}

export async function startTestApp(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<TestApp> {
  const { peer } = options;
  const emulator = peer?.emulator ?? new InstagramEmulator();
  const emulatorUrl = peer?.emulator.url ?? (await emulator.start());
  const appId = peer?.appId ?? String(17000000000000000n + BigInt(randomBytes(2).readUInt16BE()));
  const appSecret = peer?.appSecret ?? randomBytes(16).toString('hex');
  if (peer === undefined) {
    emulator.registerApp({ appId, appSecret, redirectUris: [REDIRECT_URI] });
  }
  const database = peer?.database ?? options.database ?? (await createTestDatabase());
  const encryptionKey = peer?.encryptionKey ?? randomBytes(32).toString('base64');
  const config = parseEnv({
    INSTAGRAM_APP_ID: appId,
    INSTAGRAM_APP_SECRET: appSecret,
    INSTAGRAM_REDIRECT_URI: REDIRECT_URI,
    INSTAGRAM_AUTHORIZE_URL: `${emulatorUrl}/oauth/authorize`,
    INSTAGRAM_API_URL: emulatorUrl,
    INSTAGRAM_GRAPH_URL: emulatorUrl,
    INSTAGRAM_TIMEOUT_MS: '2000',
    DATABASE_URL: database.url,
    TOKEN_ENCRYPTION_KEYS: `k1:${encryptionKey}`,
    API_KEYS: [
      `all:${API_KEY.all}:*`,
      `reader:${API_KEY.tokensRead}:tokens.read`,
      `writer:${API_KEY.tokensWrite}:tokens.write`,
      `revealer:${API_KEY.tokensReveal}:tokens.reveal`,
      `profiles:${API_KEY.usersRead}:users.read`,
      `proxy:${API_KEY.graphRead}:graph.read`,
    ].join(','),
    AUTH_RETURN_TO_ORIGINS: RETURN_ORIGIN,
    LOG_LEVEL: 'debug',
    // Sweeps run only when a test asks (app.get(RefreshSweeper).sweepOnce()) or sets this.
    REFRESH_SWEEP_INTERVAL_MS: '0',
    // Many flows from one address; the limiter has tests of its own.
    RATE_LIMIT_PER_MINUTE: '0',
    // Each app of a spec is a replica of its own (they share one host name).
    REPLICA_ID: `test-${randomBytes(4).toString('hex')}`,
    ...env,
  });
  const logs: string[] = [];
  logSink.lines = logs;
  const app = await createApp({ config, logStream: logSink });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // Specs that stop their own database would otherwise crash on an idle client's error.
  pool.on('error', () => undefined);
  return {
    app,
    http: request(app.getHttpServer()),
    emulator,
    config,
    appId,
    appSecret,
    encryptionKey,
    database,
    sql: async (text, values) => (await pool.query(text, values)).rows,
    logs,
    close: async () => {
      await app.close();
      await pool.end();
      if (peer === undefined) {
        await emulator.stop();
        await database.drop();
      }
    },
  };
}

/**
 * Starts a test app for the enclosing describe block (closed after it) and clears the
 * emulator's faults and recorded calls before each test. Use inside describe().
 */
export function useTestApp(env: Record<string, string> = {}): TestApp {
  let started: TestApp | undefined;
  beforeAll(async () => {
    started = await startTestApp(env);
  });
  afterAll(async () => {
    await started?.close();
  });
  beforeEach(() => {
    started?.emulator.clearFaults();
    started?.emulator.resetCalls();
  });
  return new Proxy({} as TestApp, {
    get(_target, property) {
      if (started === undefined) {
        throw new Error('the test app starts in beforeAll; use it inside a test or hook');
      }
      return started[property as keyof TestApp];
    },
  });
}

/**
 * Apps a test starts for itself (one, or replicas of one with `peer`), all closed after the
 * test, peers first: they leave the shared database and emulator to the app they joined.
 */
export function useAppsPerTest(): {
  start(env?: Record<string, string>, peer?: TestApp): Promise<TestApp>;
  closeAll(): Promise<void>;
} {
  const apps: TestApp[] = [];
  const closeAll = async () => {
    for (const test of apps.splice(0).reverse()) {
      await test.close();
    }
  };
  afterEach(closeAll);
  return {
    start: async (env = {}, peer) => {
      const test = await startTestApp(env, { peer });
      apps.push(test);
      return test;
    },
    closeAll,
  };
}

/** The emulator's recorded calls of one operation, in order. */
export function callsTo(test: TestApp, operation: EmulatorOperation): EmulatorCall[] {
  return test.emulator.calls.filter((call) => call.operation === operation);
}

export function bearer(secret: string): { Authorization: string } {
  return { Authorization: `Bearer ${secret}` };
}

/** Serves the test app on a loopback port, for clients that need a real socket; its base URL. */
export async function listenOnLoopback(test: TestApp): Promise<string> {
  await test.app.listen({ port: 0, host: '127.0.0.1' });
  const address = test.app.getHttpServer().address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return `http://127.0.0.1:${port}`;
}
