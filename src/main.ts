import 'reflect-metadata';
import { join } from 'node:path';
import { createApp } from './app.setup.js';
import { IdleHeapReclaimer } from './common/idle-heap-reclaimer.js';
import { ConfigError } from './config/config.error.js';
import { readProcessEnv } from './config/process-env.js';
import { startRuntime } from './runtime.js';
import { sandboxBanner } from './sandbox/sandbox-banner.js';

async function bootstrap(): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: line })}\n`);
  };
  const runtime = await startRuntime(readProcessEnv(), {
    dataDir: join(process.cwd(), '.data'),
    log,
  });
  const { port, host } = runtime.config.http;
  let app: Awaited<ReturnType<typeof createApp>>;
  try {
    app = await createApp({ config: runtime.config });
    await app.listen({ port, host });
  } catch (error) {
    await runtime.stop();
    throw error;
  }

  if (runtime.sandbox !== undefined) {
    // After Nest's buffered start-up lines, so the banner is the last thing a person sees.
    await new Promise((resolve) => setImmediate(resolve));
    process.stdout.write(
      sandboxBanner({
        apiKey: runtime.sandbox.apiKey,
        emulatorUrl: runtime.sandbox.emulatorPublicUrl,
        baseUrl: runtime.sandbox.publicUrl,
        embeddedDatabase: runtime.embeddedDatabase,
      }),
    );
  }

  const reclaimer = startIdleHeapReclaimer(log);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      return;
    }
    stopping = true;
    log(`${signal} received; draining`);
    reclaimer?.stop();
    const timer = setTimeout(() => {
      log('shutdown timed out; exiting');
      process.exit(1);
    }, runtime.config.http.shutdownTimeoutMs);
    timer.unref();
    void app
      .close()
      .then(() => runtime.stop())
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGHUP', () => shutdown('SIGHUP'));
}

/**
 * Under `node --expose-gc` (as `npm run start:prod` and the image run it), gives the heap a spell
 * of load grew back once the process goes quiet; elsewhere V8's own schedule does.
 */
function startIdleHeapReclaimer(log: (line: string) => void): IdleHeapReclaimer | undefined {
  const gc = (globalThis as { gc?: (options?: object) => void }).gc;
  if (typeof gc !== 'function') {
    return undefined;
  }
  const collect = (): void => {
    // Node 24's V8 returns freed pages to the system only from a memory-reducing collection;
    // Node 20's ignores this form, and the plain collection after it does the work there.
    gc({ type: 'major', flavor: 'last-resort' });
    gc();
  };
  const mib = (bytes: number): number => Math.round(bytes / 1048576);
  const reclaimer = new IdleHeapReclaimer(collect, ({ beforeBytes, afterBytes, tookMs }) =>
    log(
      `idle: heap collected, ${mib(beforeBytes)} -> ${mib(afterBytes)} MiB committed in ${Math.round(tookMs)} ms`,
    ),
  );
  reclaimer.start();
  return reclaimer;
}

bootstrap().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`Configuration error: ${error.message}\n`);
  } else {
    process.stderr.write(
      `Startup failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
  }
  process.exit(1);
});
