/** Counts requests per key in fixed windows; memory is bounded by pruning ended windows. */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private nextPruneAt = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one request; answers 0 when allowed, else milliseconds until the window ends. */
  take(key: string): number {
    const now = this.now();
    this.prune(now);
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      window = { count: 0, endsAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return window.count > this.limit ? window.endsAt - now : 0;
  }

  private prune(now: number): void {
    if (now < this.nextPruneAt) {
      return;
    }
    this.nextPruneAt = now + this.windowMs;
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) {
        this.windows.delete(key);
      }
    }
  }
}
