/**
 * Background work that gives requests the event loop first: each waiter goes on in a loop turn
 * of its own, in order, with the loop polling for I/O (requests, their queries) between any
 * two. Work released this way runs in short slices between requests instead of in one block.
 */
export class LoopTurns {
  /** Waiting to go on; while any wait, a release is scheduled. */
  private readonly waiting: (() => void)[] = [];

  /** Resolves in a later loop turn, after those who asked before. */
  next(): Promise<void> {
    return new Promise((resolve) => {
      if (this.waiting.push(resolve) === 1) {
        setImmediate(this.release);
      }
    });
  }

  // An immediate set while immediates run waits for the next turn, after the loop's I/O poll.
  private readonly release = (): void => {
    this.waiting.shift()?.();
    if (this.waiting.length > 0) {
      setImmediate(this.release);
    }
  };
}
