import 'reflect-metadata';
import { join } from 'node:path';
import { createApp } from './app.setup.js';
import { startIdleHeapReclaimer } from './common/idle-heap-reclaimer.js';
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
 * Starts the service; a failure to start is one line on stderr and exit code 1. The production
 * bundle exports this (scripts/bundle.mjs); src/main.ts calls it.
 */
export function runService(): Promise<void> {
  return bootstrap().catch((error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${error.message}\n`);
    } else {
      process.stderr.write(
        `Startup failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    }
    process.exit(1);
  });
}
