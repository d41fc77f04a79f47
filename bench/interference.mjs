// CPU taken by user processes outside the bench while a probe runs. The machine's own services run
// their chores beside it: here a RabbitMQ check boots an Erlang VM once a minute, a core for
// half a second, and a 10 s probe window that meets it reads a p99 of 150-350 ms whichever side
// it measures. Such a window is run again (bench/run.mjs), not averaged in.
import { readdirSync } from 'node:fs';
import { readStat, TICKS_PER_SECOND } from './processes.mjs';

const SAMPLE_MS = 250;
const CHILD_TICKS_CAP = (2 * SAMPLE_MS * TICKS_PER_SECOND) / 1000;

/** Every process's parent, name and CPU ticks, by pid. */
export function readProcesses() {
  const processes = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      processes.set(Number(entry), readStat(entry));
    } catch {
      // gone since the listing
    }
  }
  return processes;
}

/**
 * The bench's own: this process and everything it started (service, baseline, emulator,
 * sender, an embedded PostgreSQL), and PostgreSQL's processes wherever it runs (with
 * DATABASE_URL its backends serve the bench). Everything else is outside.
 */
function isOurs(pid, processes) {
  for (let current = pid, hops = 0; current > 1 && hops < 64; hops += 1) {
    if (current === process.pid) {
      return true;
    }
    current = processes.get(current)?.parent ?? 0;
  }
  return processes.get(pid)?.name === 'postgres';
}

/**
 * The kernel's threads are not counted: most of their work (network soft interrupts, block I/O)
 * is done for the bench's own traffic.
 */
function isKernelThread(pid, { parent }) {
  return pid === 2 || parent === 2;
}

/**
 * Watches the CPU of processes outside the bench until `stop()`, which answers the most they
 * took in any second (in cores, over four consecutive samples) and who took most of it.
 */
export function watchOutsideCpu() {
  let previous = readProcesses();
  /** Outside ticks of the last four samples, and who took them. */
  const window = [];
  let worst = { cores: 0, by: '' };
  const timer = setInterval(() => {
    const current = readProcesses();
    let ticks = 0;
    const takers = new Map();
    for (const [pid, now] of current) {
      const before = previous.get(pid);
      // A process new since the last sample spent all its time since then. A chore that came
      // and went between two samples shows in its parent once waited for; a child of hours
      // waited for now would bring all its hours, so no more than a sample's worth of two
      // cores counts.
      const spent =
        now.ticks -
        (before?.ticks ?? 0) +
        Math.min(now.childTicks - (before?.childTicks ?? now.childTicks), CHILD_TICKS_CAP);
      if (spent > 0 && !isKernelThread(pid, now) && !isOurs(pid, current)) {
        ticks += spent;
        takers.set(now.name, (takers.get(now.name) ?? 0) + spent);
      }
    }
    previous = current;
    window.push({ ticks, takers });
    if (window.length > 1000 / SAMPLE_MS) {
      window.shift();
    }
    const cores = window.reduce((sum, sample) => sum + sample.ticks, 0) / TICKS_PER_SECOND;
    if (cores > worst.cores) {
      const byName = new Map();
      for (const sample of window) {
        for (const [name, spent] of sample.takers) {
          byName.set(name, (byName.get(name) ?? 0) + spent);
        }
      }
      const top = [...byName].sort((a, b) => b[1] - a[1])[0];
      worst = { cores, by: top ? top[0] : '' };
    }
  }, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return { cores: Number(worst.cores.toFixed(2)), by: worst.by };
    },
  };
}
