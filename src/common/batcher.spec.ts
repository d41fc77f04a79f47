import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('sends a full batch at once and gives each caller its own result', async () => {
    const calls: number[][] = [];
    const batcher = new Batcher<number, number>(
      (items) => {
        calls.push(items);
        return Promise.resolve(items.map((item) => item * 10));
      },
      3,
      1000,
    );
    const results = await Promise.all([1, 2, 3].map((item) => batcher.add(item)));
    expect(results).toEqual([10, 20, 30]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it('sends what it has when the wait is over', async () => {
    const calls: string[][] = [];
    const batcher = new Batcher<string, string>(
      (items) => {
        calls.push(items);
        return Promise.resolve(items);
      },
      10,
      5,
    );
    const results = await Promise.all([batcher.add('a'), batcher.add('b')]);
    expect(results).toEqual(['a', 'b']);
    expect(calls).toEqual([['a', 'b']]);
    expect(await batcher.add('c')).toBe('c');
    expect(calls).toEqual([['a', 'b'], ['c']]);
  });

  it("gives every caller of a failed batch the batch's error", async () => {
    const batcher = new Batcher<number, number>(() => Promise.reject(new Error('down')), 2, 5);
    const outcomes = await Promise.allSettled([batcher.add(1), batcher.add(2)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
  });
});
