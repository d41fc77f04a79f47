/**
 * A signal that aborts after `ms` (as AbortSignal.timeout() would, with a TimeoutError), whose
 * timer ends as soon as the caller is done with it. AbortSignal.timeout()'s timer stays
 * scheduled for the whole timeout after the call has answered, and V8 keeps the signal it aborts
 * through every young-generation collection: at a few thousand calls a second, tens of thousands
 * of signals and timers outlive their calls, are promoted, and make full collections run every
 * second or so.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(
      () =>
        this.controller.abort(
          new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
        ),
      ms,
    );
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The call is over: its timer goes now. */
  clear(): void {
    clearTimeout(this.timer);
  }
}
