// `npm run bench`: throughput, latency and memory of the built service on this machine.
// Boots the production build in sandbox mode (in-process emulator, embedded or DATABASE_URL
// PostgreSQL), stores connections through the real OAuth flow, then loads three routes.
import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:http';

const { startRuntime } = await import('../dist/runtime.js');
const { createApp } = await import('../dist/app.setup.js');

const CONNECTIONS = 200;
const CONCURRENCY = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

const dataDir = await mkdtemp(join(tmpdir(), 'vault-bench-'));
const env = {
  LOG_LEVEL: 'warn',
  PORT: '0',
  RATE_LIMIT_PER_MINUTE: '0',
  REFRESH_SWEEP_INTERVAL_MS: '0',
};
if (process.env.DATABASE_URL) {
  env.DATABASE_URL = process.env.DATABASE_URL;
}
const runtime = await startRuntime(env, { dataDir, log: () => undefined });
const app = await createApp({ config: { ...runtime.config, log: { level: 'warn' } } });
await app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
const auth = { authorization: `Bearer ${runtime.sandbox.apiKey}` };
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function get(path) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers: auth, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end();
  });
}

async function connect() {
  const start = await fetch(`${base}/auth/instagram/authorize`, { redirect: 'manual' });
  const url = new URL(start.headers.get('location'));
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', 'allow');
  form.set('username', `bench_${Math.random().toString(36).slice(2)}`);
  const consent = await fetch(`${url.origin}/oauth/authorize`, {
    method: 'POST',
    body: form,
    redirect: 'manual',
  });
  const back = new URL(consent.headers.get('location'));
  const callback = await fetch(`${base}${back.pathname}${back.search}`);
  return (await callback.json()).igUserId;
}

const ids = [];
const seedStart = performance.now();
for (let i = 0; i < CONNECTIONS; i++) {
  ids.push(await connect());
}
const seedMs = performance.now() - seedStart;

async function load(name, path) {
  const latencies = [];
  let errors = 0;
  const endAt = performance.now() + SECONDS * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < endAt) {
        const started = performance.now();
        const statusCode = await get(path(n++));
        latencies.push(performance.now() - started);
        if (statusCode !== 200) {
          errors += 1;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const pick = (q) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
  return {
    route: name,
    'req/s': Math.round(latencies.length / SECONDS),
    'p50 ms': pick(0.5),
    'p99 ms': pick(0.99),
    errors,
  };
}

const results = [];
results.push(await load('GET /health/live', () => '/health/live'));
results.push(await load('GET /tokens/:id', (i) => `/tokens/${ids[i % ids.length]}`));
results.push(
  await load('GET /tokens/:id/access-token', (i) => `/tokens/${ids[i % ids.length]}/access-token`),
);
results.push(await load('GET /tokens?limit=50', () => '/tokens?limit=50'));
results.push(await load('GET /users/:id (emulator)', (i) => `/users/${ids[i % ids.length]}`));
const memory = process.memoryUsage();

console.log(
  `\nInstagram token vault bench: ${CONCURRENCY} concurrent clients, ${SECONDS} s per route, ${CONNECTIONS} stored connections`,
);
console.log(
  `database: ${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL'}; node ${process.version}`,
);
console.log(
  `full OAuth flow (authorize, consent, callback with exchange, upgrade, profile): ${(seedMs / CONNECTIONS).toFixed(1)} ms each`,
);
console.table(results);
console.log(
  `memory after load (service, emulator and load generator in one process): rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB, heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB`,
);

agent.destroy();
await app.close();
await runtime.stop();
await rm(dataDir, { recursive: true, force: true });
