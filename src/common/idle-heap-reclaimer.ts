import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export interface HeapReclaim {
  /** V8's committed heap before and after the collection. */
  beforeBytes: number;
  afterBytes: number;
  tookMs: number;
}

export interface IdleHeapReclaimerOptions {
  /** How often the event loop's utilization is sampled. */
  sampleMs: number;
  /** A sample at or under this utilization counts as quiet. */
  quietUtilization: number;
  /** How long the loop must have been quiet before the first collection of a spell. */
  quietMs: number;
  /** How long it must have stayed quiet after the first before the second. */
  followUpQuietMs: number;
  /** How much the committed heap must have grown since it last settled (or its low point). */
  growthBytes: number;
  /** How much event-loop time a spell of work must have taken to count. */
  workMs: number;
}

const IDLE_HEAP_RECLAIM_DEFAULTS: IdleHeapReclaimerOptions = {
  sampleMs: 1_000,
  // Probes and scrapes keep an idle service's loop about 1% busy.
  quietUtilization: 0.02,
  // A lull, not a gap between bursts: the collection costs the next burst a warm young generation.
  quietMs: 15_000,
  followUpQuietMs: 5_000,
  growthBytes: 16 * 1024 * 1024,
  workMs: 2_000,
};

/** What the reclaimer reads at each sample; the process's own readings unless a test says. */
export interface HeapReadings {
  /** The event loop's utilization since the last call (0 to 1). */
  utilization(): number;
  /** V8's committed heap. */
  committedBytes(): number;
}

function processHeapReadings(): HeapReadings {
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    utilization: () => {
      const now = performance.eventLoopUtilization();
      const { utilization } = performance.eventLoopUtilization(now, last);
      last = now;
      return utilization;
    },
    committedBytes: () => getHeapStatistics().total_heap_size,
  };
}

/**
 * Gives back the heap a spell of work grew. Under load V8 grows the young generation to its
 * largest and lets promoted garbage fill old space (the service's flags let it, so that major
 * collections are rare), and keeps all of it once the load stops until its memory reducer gets
 * round to it, which can take a minute. After a spell of at least `workMs` of event-loop work
 * that left the committed heap `growthBytes` above where it last settled, once the loop has been
 * quiet for `quietMs`, this runs a full collection, and one more after `followUpQuietMs` more
 * of quiet: V8 shrinks the young generation only in a collection that finds the allocation rate
 * low, which the first, measured against the load, does not. What the second leaves is where the
 * heap settled. Work between the two cancels the second; the next spell starts over. Light work
 * (probes, a trickle of requests) never starts a collection.
 */
export class IdleHeapReclaimer {
  private readonly options: IdleHeapReclaimerOptions;
  private timer: NodeJS.Timeout | undefined;
  private quietForMs = 0;
  private workMs = 0;
  private floorBytes: number;
  private followUpDue = false;

  constructor(
    /** A full garbage collection. */
    private readonly collect: () => void,
    private readonly onReclaim: (reclaim: HeapReclaim) => void,
    options: Partial<IdleHeapReclaimerOptions> = {},
    private readonly readings: HeapReadings = processHeapReadings(),
  ) {
    this.options = { ...IDLE_HEAP_RECLAIM_DEFAULTS, ...options };
    this.floorBytes = readings.committedBytes();
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), this.options.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sample: called every `sampleMs` once started. */
  sample(): void {
    const utilization = this.readings.utilization();
    const before = this.readings.committedBytes();
    // When V8 shrinks the heap itself, growth counts from there.
    this.floorBytes = Math.min(this.floorBytes, before);
    this.workMs += utilization * this.options.sampleMs;
    if (utilization > this.options.quietUtilization) {
      this.quietForMs = 0;
      this.followUpDue = false;
      return;
    }
    this.quietForMs += this.options.sampleMs;
    const spellOfWork =
      this.workMs >= this.options.workMs && before >= this.floorBytes + this.options.growthBytes;
    const quietNeededMs = this.followUpDue ? this.options.followUpQuietMs : this.options.quietMs;
    if (this.quietForMs < quietNeededMs || !(this.followUpDue || spellOfWork)) {
      return;
    }
    const startedAt = performance.now();
    this.collect();
    const tookMs = performance.now() - startedAt;
    // The collection's own time is not work.
    this.readings.utilization();
    const after = this.readings.committedBytes();
    if (this.followUpDue) {
      this.floorBytes = after;
    }
    this.quietForMs = 0;
    this.workMs = 0;
    this.followUpDue = !this.followUpDue;
    this.onReclaim({ beforeBytes: before, afterBytes: after, tookMs });
  }
}

/**
 * Under `node --expose-gc` (as `npm run start:prod` and the image run it), starts a reclaimer
 * that logs each collection; elsewhere (`npm run start:dev`, the tests) V8's own schedule stays.
 */
export function startIdleHeapReclaimer(log: (line: string) => void): IdleHeapReclaimer | undefined {
  const { gc } = globalThis;
  if (gc === undefined) {
    return undefined;
  }
  const collect = (): void => {
    // Node 24's V8 returns freed pages to the system only from a memory-reducing collection.
    // Node 20's runs a young-generation collection for this form; the full one follows.
    gc({ type: 'major', flavor: 'last-resort' });
    gc();
  };
  const mib = (bytes: number): number => Math.round(bytes / 1048576);
  const reclaimer = new IdleHeapReclaimer(collect, ({ beforeBytes, afterBytes, tookMs }) =>
    log(
      `idle: heap collected, ${mib(beforeBytes)} -> ${mib(afterBytes)} MiB committed in ${Math.round(tookMs)} ms`,
    ),
  );
  reclaimer.start();
  return reclaimer;
}
