export interface ReadCacheOptions<V> {
  /** How long an answer may be reused; 0 keeps nothing. */
  ttlMs: number;
  /** At most this many answers; the oldest go first. */
  maxEntries: number;
  /** With `weigh`: at most this much in all (say, bytes); the oldest go first. */
  maxWeight?: number;
  weigh?: (value: V) => number;
}

interface Entry<V> {
  value: V;
  /** What the answer was read with (a token's issue time): another version reads afresh. */
  version: number;
  until: number;
  weight: number;
}

/**
 * Answers kept for a while, per key and per version of what they were read with, bounded in
 * count and weight. Callers keep only what may be kept: never a token.
 */
export class ReadCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private weight = 0;

  constructor(private readonly options: ReadCacheOptions<V>) {}

  get enabled(): boolean {
    return this.options.ttlMs > 0;
  }

  get(key: K, version: number, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      return undefined;
    }
    if (entry.until <= now || entry.version !== version) {
      this.remove(key, entry);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, version: number, value: V, now = Date.now()): void {
    if (!this.enabled) {
      return;
    }
    const weight = this.options.weigh?.(value) ?? 0;
    const maxWeight = this.options.maxWeight ?? Infinity;
    const previous = this.entries.get(key);
    if (previous !== undefined) {
      this.remove(key, previous);
    }
    if (weight > maxWeight) {
      return;
    }
    this.entries.set(key, { value, version, until: now + this.options.ttlMs, weight });
    this.weight += weight;
    for (const [oldestKey, oldest] of this.entries) {
      if (this.entries.size <= this.options.maxEntries && this.weight <= maxWeight) {
        break;
      }
      this.remove(oldestKey, oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: K, entry: Entry<V>): void {
    this.entries.delete(key);
    this.weight -= entry.weight;
  }
}
