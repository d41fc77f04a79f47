// `node bench/sweep-ab.mjs` (after `npm run build`): the sweep probe of `npm run bench` as a
// quick A/B of service variants, alternated. For each variant in turn, every round: the
// tokens are seeded not yet due, the service is started and `GET /tokens/:id` paced at
// 1,000 req/s in short windows idle, then every token is made due and the windows run again
// while the sweep goes. Prints each window's p99, the median per phase, the service's CPU and
// how much of the time its main thread ran and waited for a core (/proc schedstat), the
// machine's CPU by process, and the p99 of the same reads as the service timed them itself
// (its access log's responseTime: from the parsed request to the answer written). What the
// client sees beyond that is time before the service took the request up or after it wrote
// the answer: its thread busy or waiting for a core, or the sender's.
//
//   BENCH_VARIANTS  variants, `;`-separated: a name, or name:KEY=value,KEY=value for the
//                   service's environment (default `current`). CPU_LOAD=<cores> is the
//                   bench's own: the second phase runs, instead of the sweep, a process that
//                   only spins that share of every 10 ms (a control: what a load of the
//                   machine alone costs the reads)
//   BENCH_TOKENS    tokens swept (default 30000); BENCH_WINDOWS windows a phase (default 3) of
//                   BENCH_SECONDS each (default 5); BENCH_ROUNDS (default 2)
//   BENCH_SERVICE_NODE_ARGS, DATABASE_URL   as for `npm run bench`
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchSecrets, makeAllDue, openBenchDatabase, seedConnections } from './database.mjs';
import { readProcesses } from './interference.mjs';
import { pacedLoad } from './paced-load.mjs';
import { readStat, startEmulator, startService, TICKS_PER_SECOND } from './processes.mjs';
import {
  CONNECTIONS,
  emulatorApp,
  median,
  percentile,
  probePaths,
  serviceEnv,
  SWEEP_LATENCY_MS,
} from './setup.mjs';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 30_000);
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const PROBE_RATE = 1000;
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'current').split(';').map((spec) => {
  // Split at the first colon only: a value may hold one (a URL).
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const settings = colon < 0 ? '' : spec.slice(colon + 1);
  const env = Object.fromEntries(
    settings
      .split(',')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
  return { name, env };
});

/** The process's CPU seconds (all threads), and its main thread's run and run-queue seconds. */
function cpuOf(pid) {
  const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
    .split(' ')
    .map(Number);
  return {
    cpu: readStat(pid).ticks / TICKS_PER_SECOND,
    run: run / 1e9,
    wait: wait / 1e9,
    at: performance.now(),
  };
}

/**
 * Cores each process took since `from` (readProcesses() and when), named by `roles`, else
 * `sender` for this process's other node children (the paced senders, one a window, counted
 * once they have exited through this process's children's time), else by name.
 */
function machineSince(from, roles) {
  const seconds = (performance.now() - from.at) / 1000;
  const now = readProcesses();
  const byName = new Map();
  const add = (label, ticks) => byName.set(label, (byName.get(label) ?? 0) + ticks);
  for (const [pid, { name, parent, ticks }] of now) {
    const label = roles[pid] ?? (parent === process.pid && name === 'node' ? 'sender' : name);
    add(label, ticks - (from.processes.get(pid)?.ticks ?? 0));
  }
  add('sender', now.get(process.pid).childTicks - from.processes.get(process.pid).childTicks);
  return [...byName]
    .map(([label, ticks]) => [label, ticks / TICKS_PER_SECOND / seconds])
    .filter(([, cores]) => cores >= 0.02)
    .sort((a, b) => b[1] - a[1])
    .map(([label, cores]) => `${label} ${cores.toFixed(2)}`)
    .join(', ');
}

/**
 * The p99 of the service's own response times for `GET /tokens/:id` in each span (epoch ms);
 * undefined where its log holds no access lines (a level above info).
 */
function servicesOwnP99s(logFile, spans) {
  const times = spans.map(() => []);
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"url":"/tokens/')) {
      continue;
    }
    const entry = JSON.parse(line);
    const span = spans.findIndex(([from, to]) => entry.time >= from && entry.time < to);
    if (span >= 0 && entry.responseTime !== undefined) {
      times[span].push(entry.responseTime);
    }
  }
  return times.map((values) =>
    values.length === 0
      ? undefined
      : percentile(
          values.sort((a, b) => a - b),
          0.99,
        ),
  );
}

/** A process of its own that spins `cores` of every 10 ms, and sleeps the rest. */
function spin(cores) {
  const busyMs = Math.min(10, Math.max(0, cores * 10));
  return spawn(
    process.execPath,
    [
      '-e',
      `setInterval(() => { const end = performance.now() + ${busyMs}; while (performance.now() < end); }, 10)`,
    ],
    { stdio: 'inherit' },
  );
}

/** Cores the process used, and shares of the time its main thread ran and waited, since `from`. */
function cpuSince(pid, from) {
  const now = cpuOf(pid);
  const seconds = (now.at - from.at) / 1000;
  const share = (value) => (value / seconds).toFixed(2);
  return `${share(now.cpu - from.cpu)} cores, thread ran ${share(now.run - from.run)} waited ${share(now.wait - from.wait)}`;
}

async function runVariant(database, secrets, tempDir, variant, round) {
  const snapshotFile = join(tempDir, 'sweep-ab.json');
  const ids = await seedConnections(database, secrets, {
    count: TOKENS,
    due: false,
    snapshotFile,
  });
  const emulator = await startEmulator({
    app: emulatorApp(secrets),
    latencyMs: SWEEP_LATENCY_MS,
    snapshotFile,
  });
  const { CPU_LOAD: cpuLoad, ...variantEnv } = variant.env;
  const env = {
    ...serviceEnv(secrets, database, emulator, {
      REFRESH_SWEEP_INTERVAL_MS: '1000',
      REFRESH_CONCURRENCY: '32',
    }),
    ...variantEnv,
  };
  const logFile = join(tempDir, `${variant.name}-${round}.log`);
  const service = await startService({ env, logFile });
  let spinner;
  try {
    const paths = probePaths(ids);
    const probe = async (seconds) =>
      (
        await pacedLoad({
          base: service.base,
          paths,
          token: secrets.apiKey,
          seconds,
          connections: CONNECTIONS,
          rate: PROBE_RATE,
        })
      ).p99;
    const roles = { [service.pid]: 'service', [emulator.pid]: 'emulator', [process.pid]: 'bench' };
    const windows = async () => {
      const from = cpuOf(service.pid);
      const machineFrom = { processes: readProcesses(), at: performance.now() };
      const startedAt = Date.now();
      const p99s = [];
      for (let window = 0; window < WINDOWS; window += 1) {
        p99s.push(await probe(SECONDS));
      }
      return {
        p99s,
        cpu: cpuSince(service.pid, from),
        machine: machineSince(machineFrom, roles),
        span: [startedAt, Date.now()],
      };
    };
    await probe(3);
    const idle = await windows();
    if (cpuLoad === undefined) {
      await makeAllDue(database);
      while ((await emulator.refreshTally()).count === 0) {
        await sleep(100);
      }
    } else {
      spinner = spin(Number(cpuLoad));
      roles[spinner.pid] = 'cpu load';
    }
    await sleep(2000);
    const during = await windows();
    // The log is read once the service has stopped and written every line.
    await service.stop();
    const ratio = median(during.p99s) / median(idle.p99s);
    const [idleOwn, duringOwn] = servicesOwnP99s(logFile, [idle.span, during.span]);
    const phase = (name, { p99s, cpu, machine }, own) =>
      `  ${name}: p99 ${p99s.join(', ')} ms (median ${median(p99s)}), as the service timed them ${own === undefined ? 'unknown (no access lines)' : `${own} ms`}; ${cpu}; machine: ${machine}`;
    console.log(
      [
        `${variant.name} round ${round + 1}: ${ratio.toFixed(2)}x`,
        phase('idle', idle, idleOwn),
        phase(
          cpuLoad === undefined ? 'during the sweep' : `beside ${cpuLoad} cores of CPU load`,
          during,
          duringOwn,
        ),
      ].join('\n'),
    );
  } finally {
    spinner?.kill();
    await service.stop();
    await emulator.stop();
  }
}

const tempDir = await mkdtemp(join(os.tmpdir(), 'vault-sweep-ab-'));
const database = await openBenchDatabase(tempDir);
const secrets = benchSecrets();
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const variant of VARIANTS) {
      await runVariant(database, secrets, tempDir, variant, round);
    }
  }
} finally {
  await database.close();
}
console.log(`service logs in ${tempDir}`);
