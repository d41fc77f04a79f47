// The processes a bench run starts: the service (its production build, started as
// `npm run start:prod` starts it), the raw baseline and the emulator, each on its own.
import { fork, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The node arguments of package.json's start:prod (what production runs; the image's CMD is
 * the same command, so it sets no variables).
 */
export function startProdArgs() {
  const script = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts['start:prod'];
  const words = script.split(/\s+/).filter(Boolean);
  if (words[0] !== 'node') {
    throw new Error(`start:prod should run node, it runs: ${script}`);
  }
  return words.slice(1);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resident set size of a process, in MiB, from /proc. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

/** Clock ticks per second in /proc's CPU times. */
export const TICKS_PER_SECOND = 100;

/**
 * A process's parent, name and CPU ticks from /proc (user + system; `childTicks`, those of the
 * children it has waited for). Throws when the process is gone.
 */
export function readStat(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The name is in parentheses and may hold spaces and parentheses itself.
  const nameEnd = stat.lastIndexOf(')');
  const fields = stat.slice(nameEnd + 2).split(' ');
  return {
    parent: Number(fields[1]),
    name: stat.slice(stat.indexOf('(') + 1, nameEnd),
    ticks: Number(fields[11]) + Number(fields[12]),
    childTicks: Number(fields[13]) + Number(fields[14]),
  };
}

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
    } else {
      child.once('exit', () => resolve());
    }
  });
}

async function stopChild(child, graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(timer);
}

/** Node flags for every service a bench starts, before start:prod's (BENCH_SERVICE_NODE_ARGS). */
export const SERVICE_NODE_ARGS = (process.env.BENCH_SERVICE_NODE_ARGS ?? '')
  .split(/\s+/)
  .filter(Boolean);

/**
 * Starts the service and waits until GET /health/ready answers 200. `readyMs` counts from the
 * spawn to that answer (polled every 5 ms). Logs go to `logFile`.
 */
export async function startService({
  env,
  cwd = ROOT,
  logFile,
  timeoutMs = 60_000,
  nodeArgs = [],
}) {
  const port = env.PORT ?? String(await freePort());
  const prodArgs = startProdArgs();
  const spawnedAt = performance.now();
  const log = openSync(logFile, 'a');
  const args = [
    ...SERVICE_NODE_ARGS,
    ...nodeArgs,
    ...prodArgs.map((arg) => (arg.startsWith('-') ? arg : join(ROOT, arg))),
  ];
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...env, PORT: port },
    stdio: ['ignore', log, log],
  });
  const base = `http://127.0.0.1:${port}`;
  const deadline = spawnedAt + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`the service exited with ${child.exitCode} before ready; see ${logFile}`);
    }
    if (performance.now() > deadline) {
      await stopChild(child);
      throw new Error(`the service was not ready within ${timeoutMs} ms; see ${logFile}`);
    }
    try {
      const response = await fetch(`${base}/health/ready`);
      await response.arrayBuffer();
      if (response.status === 200) {
        break;
      }
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const readyMs = performance.now() - spawnedAt;
  return { base, pid: child.pid, readyMs, stop: () => stopChild(child) };
}

/** Starts bench/raw-baseline.mjs; resolves once it listens. */
export async function startBaseline(env) {
  const child = spawn(process.execPath, [join(ROOT, 'bench/raw-baseline.mjs')], {
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the raw baseline exited with ${code}`)));
    child.stdout.on('data', (chunk) => {
      const match = /listening (\d+)/.exec(String(chunk));
      if (match) {
        resolve(Number(match[1]));
      }
    });
  });
  return { base: `http://127.0.0.1:${port}`, pid: child.pid, stop: () => stopChild(child) };
}

/** Starts the emulator in its own process, with a latency and a snapshot of accounts and tokens. */
export async function startEmulator({ app, latencyMs, snapshotFile }) {
  // Instagram runs on machines of its own. Here it shares two cores with the service and
  // PostgreSQL, and V8's parallel collector, sweeping a heap of 100,000 accounts, took both for
  // 100-200 ms at a time: a stall of the service's reads that production never sees.
  const child = fork(join(ROOT, 'bench/emulator-process.mjs'), [], {
    stdio: 'inherit',
    execArgv: ['--single-threaded-gc'],
  });
  const replies = [];
  const waiters = [];
  child.on('message', (message) => {
    const waiter = waiters.shift();
    if (waiter) {
      waiter(message);
    } else {
      replies.push(message);
    }
  });
  const next = () =>
    new Promise((resolve) =>
      replies.length > 0 ? resolve(replies.shift()) : waiters.push(resolve),
    );
  child.send({ app, latencyMs, snapshotFile });
  const { url } = await next();
  return {
    url,
    pid: child.pid,
    /** Successful refresh calls so far, with the first and last arrival (epoch ms). */
    refreshTally: async () => {
      child.send('stats');
      return (await next()).refresh;
    },
    stop: async () => {
      child.send('stop');
      await stopChild(child);
    },
  };
}
