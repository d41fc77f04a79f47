import { Injectable, type OnApplicationShutdown } from '@nestjs/common';

/**
 * Work a request starts and does not wait for (say, reading a profile after a consent). Each
 * task catches its own failures; shutdown waits for the ones still running, so nothing is cut
 * off half way through a write.
 */
@Injectable()
export class BackgroundTasks implements OnApplicationShutdown {
  private readonly running = new Set<Promise<void>>();

  /** Starts the task; the promise settles when it does and never rejects. */
  run(task: () => Promise<void>): Promise<void> {
    const running = task()
      .catch(() => undefined)
      .finally(() => this.running.delete(running));
    this.running.add(running);
    return running;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.running);
  }
}
