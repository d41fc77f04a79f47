/**
 * Gathers items for a moment and hands them to one call: the first item starts a short wait,
 * and the batch goes when it is full or the wait is over. Each caller gets its own item's
 * result (or the batch's error).
 */
export class Batcher<I, O> {
  private pending: { item: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] =
    [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Answers one output per item, in the items' order. */
    private readonly handle: (items: I[]) => Promise<O[]>,
    private readonly maxItems: number,
    private readonly maxWaitMs: number,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxItems) {
        this.flush();
      } else {
        this.timer ??= setTimeout(() => this.flush(), this.maxWaitMs);
      }
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) {
      return;
    }
    this.handle(batch.map((entry) => entry.item)).then(
      (outputs) => batch.forEach((entry, index) => entry.resolve(outputs[index])),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
  }
}
