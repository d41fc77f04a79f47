// `node bench/p99-anatomy.mjs` (after `npm run build`): where the slowest 1% of a hot read's
// requests come from. The service (with bench/gc-observer.mjs preloaded) and the raw baseline
// are set up as `npm run bench` sets them up and loaded in turn; each side's requests at or
// above its p99 are sorted into those sent in a run's first 200 ms (new connections), those in
// flight when a major garbage collection of the service started, and the rest.
//
//   BENCH_ROUTE    tokens, reveal or users (default users)
//   BENCH_SECONDS  seconds per run (default 10); each side runs ROUNDS times after a warm-up
//   BENCH_ROUNDS   default 2
//   DATABASE_URL   as for `npm run bench`
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { benchSecrets, openBenchDatabase } from './database.mjs';
import { load } from './load.mjs';
import { ROOT, startBaseline, startService } from './processes.mjs';
import { CONNECTIONS, percentile, prepareReads, ROUTES } from './setup.mjs';

const ROUTE = ROUTES.find((route) => route.key === (process.env.BENCH_ROUTE ?? 'users'));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARMUP_SECONDS = 3;
const COLD_MS = 200;
if (ROUTE === undefined) {
  throw new Error(`BENCH_ROUTE is one of ${ROUTES.map((route) => route.key).join(', ')}`);
}

/** Loads one side; answers each request's end (epoch ms) and latency (ms), and req/s. */
async function run(base, ids, token, seconds) {
  const requests = [];
  const startedAt = Date.now();
  const { rps } = await load({
    base,
    path: ROUTE.path,
    ids,
    token,
    seconds,
    connections: CONNECTIONS,
    onResponse: (latencyMs) => requests.push({ endedAt: Date.now(), latencyMs }),
  });
  return { startedAt, requests, rps };
}

/** Sorts a side's runs' requests at or above each run's p99. */
function anatomy(runs, majorGcs) {
  const counts = { cold: 0, majorGc: 0, other: 0 };
  for (const { startedAt, requests } of runs) {
    const p99 = percentile(
      requests.map((r) => r.latencyMs).sort((a, b) => a - b),
      0.99,
    );
    for (const { endedAt, latencyMs } of requests) {
      if (latencyMs < p99) {
        continue;
      }
      const sentAt = endedAt - latencyMs;
      if (sentAt - startedAt < COLD_MS) {
        counts.cold += 1;
      } else if (majorGcs.some((at) => at >= sentAt && at <= endedAt)) {
        counts.majorGc += 1;
      } else {
        counts.other += 1;
      }
    }
  }
  return counts;
}

const ms = (value) => `${value.toFixed(1)} ms`;

function summary(side, runs, majorGcs) {
  const latencies = runs.flatMap((r) => r.requests.map((q) => q.latencyMs)).sort((a, b) => a - b);
  const rps = runs.reduce((sum, r) => sum + r.rps, 0) / runs.length;
  const counts = anatomy(runs, majorGcs);
  const slow = counts.cold + counts.majorGc + counts.other;
  const share = (n) => `${Math.round((100 * n) / slow)}%`;
  return (
    `${side.padEnd(8)} ${Math.round(rps)} req/s, p50 ${ms(percentile(latencies, 0.5))}, ` +
    `p99 ${ms(percentile(latencies, 0.99))}; of its ${slow} requests at or above p99: ` +
    `${share(counts.cold)} sent in a run's first ${COLD_MS} ms, ` +
    `${share(counts.majorGc)} in flight at a major GC, ${share(counts.other)} other` +
    (side === 'service' ? ` (${majorGcs.length} major GCs in the process's life)` : '')
  );
}

const tempDir = await mkdtemp(join(os.tmpdir(), 'vault-p99-'));
const secrets = benchSecrets();
const database = await openBenchDatabase(tempDir);
try {
  const { ids, emulator, env } = await prepareReads(database, secrets, tempDir);
  const logFile = join(tempDir, 'service.log');
  const service = await startService({
    env,
    logFile,
    nodeArgs: ['--import', join(ROOT, 'bench/gc-observer.mjs')],
  });
  const baseline = await startBaseline(env);
  try {
    const sides = { service: service.base, baseline: baseline.base };
    const runs = { service: [], baseline: [] };
    for (const base of Object.values(sides)) {
      await run(base, ids, secrets.apiKey, WARMUP_SECONDS);
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [side, base] of Object.entries(sides)) {
        runs[side].push(await run(base, ids, secrets.apiKey, SECONDS));
      }
    }
    const majorGcs = (await readFile(logFile, 'utf8'))
      .split('\n')
      .filter((line) => line.startsWith('gc-major '))
      .map((line) => Number(line.split(' ')[1]));
    process.stdout.write(`${ROUTE.name}, ${ROUNDS} x ${SECONDS} s per side:\n`);
    process.stdout.write(`  ${summary('service', runs.service, majorGcs)}\n`);
    process.stdout.write(`  ${summary('baseline', runs.baseline, [])}\n`);
  } finally {
    await baseline.stop();
    await service.stop();
    await emulator.stop();
  }
} finally {
  await database.close();
}
