import { SingleFlight } from './single-flight.js';

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers of one key and gives each the same result', async () => {
    const flight = new SingleFlight<string, object>();
    let runs = 0;
    const work = async () => {
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 10));
      return { run: runs };
    };
    const results = await Promise.all(Array.from({ length: 20 }, () => flight.run('a', work)));
    expect(runs).toBe(1);
    expect(new Set(results).size).toBe(1);
  });

  it('gives every waiter the same error, and runs again after it settled', async () => {
    const flight = new SingleFlight<string, number>();
    let runs = 0;
    const failing = async () => {
      runs += 1;
      await Promise.resolve();
      throw new Error(`failure ${runs}`);
    };
    const errors = await Promise.all(
      [flight.run('a', failing), flight.run('a', failing)].map((p) => p.catch((e: Error) => e)),
    );
    expect(errors[0]).toBe(errors[1]);
    await expect(flight.run('a', failing)).rejects.toThrow('failure 2');
  });

  it('keeps keys apart', async () => {
    const flight = new SingleFlight<string, string>();
    const [a, b] = await Promise.all([
      flight.run('a', () => Promise.resolve('A')),
      flight.run('b', () => Promise.resolve('B')),
    ]);
    expect([a, b]).toEqual(['A', 'B']);
  });
});
