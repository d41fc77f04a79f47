/**
 * Runs a job again and again in the background, one run at a time: the next run is timed from
 * the end of the last. A run asked for while one is going shares that run. stop() waits for it.
 */
export class BackgroundLoop<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stoppedFlag = false;
  private failures = 0;

  constructor(
    private readonly job: () => Promise<T>,
    /** The pause after a run: `result` is undefined after a failed one, `failures` in a row. */
    private readonly nextDelayMs: (result: T | undefined, failures: number) => number,
    private readonly onError: (error: unknown, failures: number) => void,
  ) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  start(firstDelayMs: number): void {
    this.schedule(firstDelayMs);
  }

  runOnce(): Promise<T> {
    this.running ??= this.job().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** No new runs from now on; the run in progress may look at `stopped` to cut short. */
  halt(): void {
    this.stoppedFlag = true;
    clearTimeout(this.timer);
  }

  /** Halts, then waits for the run in progress. */
  async stop(): Promise<void> {
    this.halt();
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stoppedFlag) {
      return;
    }
    this.timer = setTimeout(() => {
      this.runOnce().then(
        (result) => {
          this.failures = 0;
          this.schedule(this.nextDelayMs(result, 0));
        },
        (error: unknown) => {
          this.failures += 1;
          this.onError(error, this.failures);
          this.schedule(this.nextDelayMs(undefined, this.failures));
        },
      );
    }, delayMs);
    this.timer.unref();
  }
}
