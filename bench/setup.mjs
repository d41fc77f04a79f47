// What `npm run bench` and bench/p99-anatomy.mjs share: the hot routes, the stored connections
// they read, and the environment the service and the raw baseline are given.
import { join } from 'node:path';
import { seedConnections } from './database.mjs';
import { startEmulator } from './processes.mjs';

/** Keep-alive connections of each measured load. */
export const CONNECTIONS = 32;
/** How long the emulator takes to answer a sweep's refresh calls. */
export const SWEEP_LATENCY_MS = 50;
/** Connections seeded for the reads; each request asks for the next one in turn. */
const STORED_CONNECTIONS = 200;
const REDIRECT_URI = 'http://127.0.0.1:3000/auth/instagram/callback';

export const ROUTES = [
  { key: 'tokens', name: 'GET /tokens/:id', path: (id) => `/tokens/${id}` },
  {
    key: 'reveal',
    name: 'GET /tokens/:id/access-token',
    path: (id) => `/tokens/${id}/access-token`,
  },
  { key: 'users', name: 'GET /users/:id', path: (id) => `/users/${id}` },
];

/** The service's variables (the baseline reads the same): production, against the emulator. */
export function serviceEnv(secrets, database, emulator, extra = {}) {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    INSTAGRAM_APP_ID: secrets.appId,
    INSTAGRAM_APP_SECRET: secrets.appSecret,
    INSTAGRAM_REDIRECT_URI: REDIRECT_URI,
    INSTAGRAM_AUTHORIZE_URL: `${emulator.url}/oauth/authorize`,
    INSTAGRAM_API_URL: emulator.url,
    INSTAGRAM_GRAPH_URL: emulator.url,
    TOKEN_ENCRYPTION_KEYS: `${secrets.encryptionKey.id}:${secrets.encryptionKey.key.toString('base64')}`,
    API_KEYS: `bench:${secrets.apiKey}:*`,
    ...extra,
  };
}

/** The Instagram app the emulator knows, with the bench's secrets. */
export function emulatorApp(secrets) {
  return {
    appId: secrets.appId,
    appSecret: secrets.appSecret,
    redirectUris: [REDIRECT_URI],
  };
}

/**
 * The hot reads' set-up: STORED_CONNECTIONS active connections, the emulator (answering at once)
 * knowing their accounts, and the environment for a service and baseline reading them. Answers
 * the stored ids, the emulator and the environment.
 */
export async function prepareReads(database, secrets, tempDir) {
  const snapshotFile = join(tempDir, 'reads-emulator.json');
  const ids = await seedConnections(database, secrets, {
    count: STORED_CONNECTIONS,
    due: false,
    snapshotFile,
  });
  const emulator = await startEmulator({ app: emulatorApp(secrets), latencyMs: 0, snapshotFile });
  return { ids, emulator, env: serviceEnv(secrets, database, emulator) };
}

/** The `GET /tokens/:id` paths a sweep's probe reads: 1,000 of the swept ids, spread evenly. */
export function probePaths(ids) {
  const step = Math.ceil(ids.length / 1000);
  return ids.filter((_, index) => index % step === 0).map((id) => `/tokens/${id}`);
}

/** The value at quantile `p` (0-1) of values sorted ascending. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** The median, of an even count the mean of the two in the middle. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
}
