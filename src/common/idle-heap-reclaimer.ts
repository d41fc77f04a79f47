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
  /** How long the loop must have been quiet before collecting. */
  quietMs: number;
  /** How much the committed heap must have grown since the last collection (or its low point). */
  growthBytes: number;
}

export const IDLE_HEAP_RECLAIM_DEFAULTS: IdleHeapReclaimerOptions = {
  sampleMs: 1_000,
  quietUtilization: 0.05,
  quietMs: 5_000,
  growthBytes: 16 * 1024 * 1024,
};

const committedHeapBytes = (): number => getHeapStatistics().total_heap_size;

/**
 * Gives back the heap a spell of work grew. Under load V8 grows the young generation to its
 * largest and lets promoted garbage fill old space (the service's flags let it, so that major
 * collections are rare), and keeps all of it once the load stops until its memory reducer gets
 * round to it, which can take a minute. Once the event loop has been quiet for `quietMs` and the
 * committed heap has grown by `growthBytes` since the last collection, this runs a full
 * collection, and one more after another `quietMs` of quiet: V8 shrinks the young generation
 * only in a collection that finds the allocation rate low, which the first, measured against the
 * load, does not. Never while the loop is busy; work between the two starts over.
 */
export class IdleHeapReclaimer {
  private readonly options: IdleHeapReclaimerOptions;
  private timer: NodeJS.Timeout | undefined;
  private lastUtilization: EventLoopUtilization | undefined;
  private quietForMs = 0;
  private floorBytes = 0;
  private followUpDue = false;

  constructor(
    /** A full garbage collection: `globalThis.gc` under `node --expose-gc`. */
    private readonly collect: () => void,
    private readonly onReclaim: (reclaim: HeapReclaim) => void,
    options: Partial<IdleHeapReclaimerOptions> = {},
  ) {
    this.options = { ...IDLE_HEAP_RECLAIM_DEFAULTS, ...options };
  }

  start(): void {
    this.lastUtilization = performance.eventLoopUtilization();
    this.floorBytes = committedHeapBytes();
    this.timer = setInterval(() => this.sample(), this.options.sampleMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    const { utilization } = performance.eventLoopUtilization(now, this.lastUtilization);
    this.lastUtilization = now;
    const committed = committedHeapBytes();
    // When V8 shrinks the heap itself, growth counts from there.
    this.floorBytes = Math.min(this.floorBytes, committed);
    if (utilization > this.options.quietUtilization) {
      this.quietForMs = 0;
      // Work between the two collections: the next quiet starts over.
      this.followUpDue = false;
      return;
    }
    this.quietForMs += this.options.sampleMs;
    if (
      this.quietForMs < this.options.quietMs ||
      (!this.followUpDue && committed < this.floorBytes + this.options.growthBytes)
    ) {
      return;
    }
    const startedAt = performance.now();
    this.collect();
    const after = committedHeapBytes();
    // The collection's own time is not work: the next sample starts after it.
    this.lastUtilization = performance.eventLoopUtilization();
    this.quietForMs = 0;
    if (this.followUpDue) {
      // What the follow-up leaves is the heap settled; growth counts from there.
      this.floorBytes = after;
    }
    this.followUpDue = !this.followUpDue;
    this.onReclaim({
      beforeBytes: committed,
      afterBytes: after,
      tookMs: performance.now() - startedAt,
    });
  }
}
