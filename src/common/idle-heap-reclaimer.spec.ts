import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { type HeapReclaim, IdleHeapReclaimer } from './idle-heap-reclaimer.js';

// The collection the service gets from `node --expose-gc`, exposed here for a fresh context.
setFlagsFromString('--expose-gc');
const fullCollection = runInNewContext('gc') as () => void;

const OPTIONS = { sampleMs: 100, quietMs: 300, quietUtilization: 0.5, growthBytes: 8 << 20 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Grows the heap by tens of MB of objects, garbage once the answered function is called. */
function growHeap(): () => void {
  let kept: { index: number; text: string }[][] = [];
  for (let block = 0; block < 40; block++) {
    kept.push(Array.from({ length: 10_000 }, (_, index) => ({ index, text: `row ${index}` })));
  }
  return () => {
    kept = [];
  };
}

/** Keeps the event loop about 80% busy until the answered function is called. */
function keepBusy(): () => void {
  const timer = setInterval(() => {
    const until = performance.now() + 40;
    while (performance.now() < until) {
      // spinning, as a loaded process would
    }
  }, 50);
  return () => clearInterval(timer);
}

describe('IdleHeapReclaimer', () => {
  let reclaimer: IdleHeapReclaimer | undefined;
  afterEach(() => reclaimer?.stop());

  it('collects after a spell of work has grown the heap and the loop has gone quiet, then once more', async () => {
    const reclaims: HeapReclaim[] = [];
    let collections = 0;
    reclaimer = new IdleHeapReclaimer(
      () => {
        collections += 1;
        fullCollection();
      },
      (reclaim) => reclaims.push(reclaim),
      OPTIONS,
    );
    reclaimer.start();
    const stopBusy = keepBusy();
    const release = growHeap();
    await sleep(600);
    // Busy: however much garbage there is, nothing is collected under load.
    expect(collections).toBe(0);
    stopBusy();
    release();
    for (let waited = 0; reclaims.length < 2 && waited < 5_000; waited += 50) {
      await sleep(50);
    }
    expect(reclaims).toHaveLength(2);
    const [first, followUp] = reclaims;
    expect(first.afterBytes).toBeLessThan(first.beforeBytes);
    expect(followUp.afterBytes).toBeLessThanOrEqual(first.afterBytes);
    // The heap they left is the new floor: staying quiet does not collect again.
    await sleep(600);
    expect(collections).toBe(2);
  });

  it('leaves a quiet process whose heap has not grown alone', async () => {
    fullCollection();
    let collections = 0;
    reclaimer = new IdleHeapReclaimer(
      () => {
        collections += 1;
      },
      () => undefined,
      OPTIONS,
    );
    reclaimer.start();
    await sleep(800);
    expect(collections).toBe(0);
  });
});
