/**
 * Concurrent calls for the same key share one run of the work: the first caller starts it,
 * the others wait for the same result (or the same error). Nothing is kept once it settles.
 */
export class SingleFlight<K, V> {
  private readonly inFlight = new Map<K, Promise<V>>();

  run(key: K, work: () => Promise<V>): Promise<V> {
    const running = this.inFlight.get(key);
    if (running !== undefined) {
      return running;
    }
    const started = work();
    const forget = () => this.inFlight.delete(key);
    // Not finally(): that makes two promises more per run, and every caller's answer waited
    // for them; the callers get the work's own promise.
    void started.then(forget, forget);
    this.inFlight.set(key, started);
    return started;
  }
}
