import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type HeapReadings, IdleHeapReclaimer } from './idle-heap-reclaimer.js';

const MiB = 1 << 20;
const OPTIONS = {
  sampleMs: 1_000,
  quietMs: 5_000,
  followUpQuietMs: 3_000,
  quietUtilization: 0.02,
  growthBytes: 16 * MiB,
  workMs: 2_000,
};

/**
 * A process whose loop and heap a test sets: `busy` (half the loop's time) or quiet samples,
 * and the committed heap in MiB, which a collection brings down to `liveMiB`.
 */
class ScriptedProcess implements HeapReadings {
  busy = false;
  heapMiB = 50;
  liveMiB = 50;
  collections = 0;

  utilization(): number {
    return this.busy ? 0.5 : 0.01;
  }

  committedBytes(): number {
    return this.heapMiB * MiB;
  }

  collect(): void {
    this.collections += 1;
    this.heapMiB = this.liveMiB;
  }
}

function scripted(): { host: ScriptedProcess; reclaimer: IdleHeapReclaimer } {
  const host = new ScriptedProcess();
  const reclaimer = new IdleHeapReclaimer(
    () => host.collect(),
    () => undefined,
    OPTIONS,
    host,
  );
  return { host, reclaimer };
}

function samples(reclaimer: IdleHeapReclaimer, count: number): void {
  for (let index = 0; index < count; index++) {
    reclaimer.sample();
  }
}

/** Work: `count` busy samples (half a second of loop time each), leaving the heap at `heapMiB`. */
function load(
  host: ScriptedProcess,
  reclaimer: IdleHeapReclaimer,
  count: number,
  heapMiB = host.heapMiB,
): void {
  host.busy = true;
  host.heapMiB = heapMiB;
  samples(reclaimer, count);
  host.busy = false;
}

describe('IdleHeapReclaimer', () => {
  it('collects nothing while the loop is busy, however much the heap grew', () => {
    const { host, reclaimer } = scripted();
    load(host, reclaimer, 60, 110);
    expect(host.collections).toBe(0);
  });

  it('collects after 5 s of quiet once a spell of work grew the heap 16 MiB, then once more 3 s later', () => {
    const { host, reclaimer } = scripted();
    load(host, reclaimer, 10, 110);
    samples(reclaimer, 4);
    expect(host.collections).toBe(0);
    samples(reclaimer, 1);
    expect(host.collections).toBe(1);
    samples(reclaimer, 2);
    expect(host.collections).toBe(1);
    samples(reclaimer, 1);
    expect(host.collections).toBe(2);
    // Settled: a quiet process is left alone.
    samples(reclaimer, 60);
    expect(host.collections).toBe(2);
  });

  it('leaves a heap that grew less than 16 MiB alone', () => {
    const { host, reclaimer } = scripted();
    load(host, reclaimer, 10, 65);
    samples(reclaimer, 60);
    expect(host.collections).toBe(0);
  });

  it('leaves light work alone, whatever the heap', () => {
    const { host, reclaimer } = scripted();
    for (let burst = 0; burst < 3; burst++) {
      load(host, reclaimer, 1, 110);
      samples(reclaimer, 10);
    }
    expect(host.collections).toBe(0);
  });

  it('cancels the second collection when work comes between, and starts over on the next spell', () => {
    const { host, reclaimer } = scripted();
    host.liveMiB = 90;
    load(host, reclaimer, 10, 110);
    samples(reclaimer, 5);
    expect(host.collections).toBe(1);
    load(host, reclaimer, 1);
    samples(reclaimer, 30);
    expect(host.collections).toBe(1);
    // The next spell counts from where the heap last settled (50 MiB), not from the first's 90.
    load(host, reclaimer, 5, 100);
    samples(reclaimer, 10);
    expect(host.collections).toBe(3);
  });

  it('does not collect again and again when the live heap itself has grown', () => {
    const { host, reclaimer } = scripted();
    host.liveMiB = 90;
    for (let spell = 0; spell < 10; spell++) {
      load(host, reclaimer, 10, 110);
      host.heapMiB = host.liveMiB;
      samples(reclaimer, 12);
    }
    expect(host.collections).toBe(2);
  });
});

describe('IdleHeapReclaimer on this process', () => {
  // The collection the service gets from `node --expose-gc`, exposed here for a fresh context.
  setFlagsFromString('--expose-gc');
  const fullCollection = runInNewContext('gc') as () => void;
  let reclaimer: IdleHeapReclaimer | undefined;
  let kept: unknown[] = [];
  afterEach(() => {
    reclaimer?.stop();
    kept = [];
  });

  it('reads the loop, and runs its collection on the garbage of a spell once the loop is quiet', async () => {
    const usedAfterReclaims: number[] = [];
    reclaimer = new IdleHeapReclaimer(
      fullCollection,
      () => usedAfterReclaims.push(getHeapStatistics().used_heap_size),
      // Any growth: how much V8 commits for the garbage below depends on the tests before.
      {
        sampleMs: 100,
        quietMs: 300,
        followUpQuietMs: 300,
        quietUtilization: 0.5,
        growthBytes: 0,
        workMs: 0,
      },
    );
    reclaimer.start();
    for (let block = 0; block < 60; block++) {
      kept.push(Array.from({ length: 10_000 }, (_, index) => ({ index, text: `row ${index}` })));
    }
    const usedWithGarbage = getHeapStatistics().used_heap_size;
    kept = [];
    for (let waited = 0; usedAfterReclaims.length === 0 && waited < 5_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(usedAfterReclaims.length).toBeGreaterThan(0);
    expect(usedAfterReclaims[0]).toBeLessThan(usedWithGarbage - 16 * MiB);
  });
});
