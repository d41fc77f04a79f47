import { ConfigError } from '../config/config.error.js';
import { readEmulatorEnv } from '../config/emulator.env.js';
import { InstagramEmulator } from './instagram-emulator.js';

async function main(): Promise<void> {
  const env = readEmulatorEnv();
  const emulator = new InstagramEmulator({
    apps: [{ appId: env.appId, appSecret: env.appSecret, redirectUris: env.redirectUris }],
    latencyMs: env.latencyMs,
  });
  const url = await emulator.start({ port: env.port, host: env.host });
  console.log(`Instagram emulator listening on ${url} (app id ${env.appId})`);

  const shutdown = (): void => {
    void emulator.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  const reason = error instanceof Error ? error.message : String(error);
  console.error(error instanceof ConfigError ? reason : `Instagram emulator failed: ${reason}`);
  process.exit(1);
});
