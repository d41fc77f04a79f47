import { ReadCache } from './read-cache.js';

describe('ReadCache', () => {
  it('answers a kept value until its time is up', () => {
    const cache = new ReadCache<string, string>({ ttlMs: 1000, maxEntries: 10 });
    cache.set('a', 1, 'answer', 0);
    expect(cache.get('a', 1, 999)).toBe('answer');
    expect(cache.get('a', 1, 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('never answers a value read with another version (a new token)', () => {
    const cache = new ReadCache<string, string>({ ttlMs: 1000, maxEntries: 10 });
    cache.set('a', 1, 'old token', 0);
    expect(cache.get('a', 2, 1)).toBeUndefined();
    expect(cache.get('a', 1, 1)).toBeUndefined();
  });

  it('keeps nothing when the time to live is 0', () => {
    const cache = new ReadCache<string, string>({ ttlMs: 0, maxEntries: 10 });
    cache.set('a', 1, 'answer', 0);
    expect(cache.get('a', 1, 0)).toBeUndefined();
    expect(cache.enabled).toBe(false);
  });

  it('drops the oldest answers beyond the count', () => {
    const cache = new ReadCache<string, number>({ ttlMs: 1000, maxEntries: 2 });
    cache.set('a', 1, 1, 0);
    cache.set('b', 1, 2, 0);
    cache.set('c', 1, 3, 0);
    expect([cache.get('a', 1, 1), cache.get('b', 1, 1), cache.get('c', 1, 1)]).toEqual([
      undefined,
      2,
      3,
    ]);
  });

  it('drops the oldest answers beyond the weight, and never keeps one heavier than it all', () => {
    const cache = new ReadCache<string, string>({
      ttlMs: 1000,
      maxEntries: 100,
      maxWeight: 10,
      weigh: (value) => value.length,
    });
    cache.set('a', 1, 'xxxx', 0);
    cache.set('b', 1, 'yyyy', 0);
    cache.set('c', 1, 'zzzz', 0);
    expect(cache.get('a', 1, 1)).toBeUndefined();
    expect(cache.get('b', 1, 1)).toBe('yyyy');
    cache.set('huge', 1, 'x'.repeat(11), 0);
    expect(cache.get('huge', 1, 1)).toBeUndefined();
    expect(cache.get('c', 1, 1)).toBe('zzzz');
  });

  it('replaces an answer under the same key, counting its weight once', () => {
    const cache = new ReadCache<string, string>({
      ttlMs: 1000,
      maxEntries: 100,
      maxWeight: 8,
      weigh: (value) => value.length,
    });
    cache.set('a', 1, 'xxxx', 0);
    cache.set('a', 1, 'yyyy', 0);
    cache.set('b', 1, 'zzzz', 0);
    expect(cache.get('a', 1, 1)).toBe('yyyy');
    expect(cache.get('b', 1, 1)).toBe('zzzz');
  });
});
