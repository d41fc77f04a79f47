import { BackgroundLoop } from './background-loop.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BackgroundLoop', () => {
  it('runs again after each run, never two at once, and stop() waits for the current run', async () => {
    let active = 0;
    let most = 0;
    let runs = 0;
    const loop = new BackgroundLoop(
      async () => {
        active += 1;
        most = Math.max(most, active);
        await tick(20);
        active -= 1;
        return ++runs;
      },
      () => 1,
      () => undefined,
    );
    loop.start(0);
    await Promise.all([loop.runOnce(), loop.runOnce()]);
    await tick(100);
    await loop.stop();
    const after = runs;
    await tick(50);
    expect(most).toBe(1);
    expect(after).toBeGreaterThanOrEqual(3);
    expect(runs).toBe(after);
    expect(active).toBe(0);
  });

  it('reports a failed run and keeps going', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const loop = new BackgroundLoop(
      async () => {
        runs += 1;
        await Promise.resolve();
        if (runs === 1) {
          throw new Error('boom');
        }
        return runs;
      },
      (result) => (result === undefined ? 5 : 1000),
      (error) => errors.push(error),
    );
    loop.start(0);
    await tick(60);
    await loop.stop();
    expect(errors).toHaveLength(1);
    expect(runs).toBe(2);
  });
});

describe('BackgroundLoop failures in a row', () => {
  it('counts failures in a row for the delay and the report, and resets after a success', async () => {
    const seen: number[] = [];
    let runs = 0;
    const loop = new BackgroundLoop(
      async () => {
        runs += 1;
        await Promise.resolve();
        if (runs <= 3 || runs === 5) {
          throw new Error(`failure ${runs}`);
        }
        return runs;
      },
      (_result, failures) => {
        seen.push(failures);
        return 1;
      },
      () => undefined,
    );
    loop.start(0);
    await tick(80);
    await loop.stop();
    expect(seen.slice(0, 5)).toEqual([1, 2, 3, 0, 1]);
  });
});
