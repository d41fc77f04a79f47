/**
 * Background work that gives requests the event loop first: each waiter goes on in a loop turn
 * of its own, in order, with the loop polling for I/O (requests, their queries) between any
 * two. Work released this way runs in short slices between requests instead of in one block.
 */
export class LoopTurns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves in a later loop turn, after those who asked before. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.release);
      }
    });
  }

  // An immediate set while immediates run waits for the next turn, after the loop's I/O poll.
  private readonly release = (): void => {
    this.waiting.shift()?.();
    if (this.waiting.length > 0) {
      setImmediate(this.release);
    } else {
      this.scheduled = false;
    }
  };
}
