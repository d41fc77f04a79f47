/**
 * Runs a job again and again in the background, one run at a time: the next run is timed from
 * the end of the last. A run asked for while one is going shares that run. stop() waits for it.
 */
export class BackgroundLoop<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T> | undefined;
  private stoppedFlag = false;

  constructor(
    private readonly job: () => Promise<T>,
    /** The pause after a run; `undefined` after a failed one. */
    private readonly nextDelayMs: (result: T | undefined) => number,
    private readonly onError: (error: unknown) => void,
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
        (result) => this.schedule(this.nextDelayMs(result)),
        (error: unknown) => {
          this.onError(error);
          this.schedule(this.nextDelayMs(undefined));
        },
      );
    }, delayMs);
    this.timer.unref();
  }
}
