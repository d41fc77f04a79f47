import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RawEnv } from '../config/env.parser.js';
import { parseSandboxEnv } from '../config/sandbox.env.js';
import type { EmulatorSnapshot } from '../emulator/emulator.store.js';
import { InstagramEmulator } from '../emulator/instagram-emulator.js';
import { loadOrCreateSandboxSecrets } from './sandbox-secrets.js';

export interface Sandbox {
  /** Variables that point the service at the emulator, with the sandbox's own keys. */
  env: Record<string, string>;
  apiKey: string;
  /** Where the vault calls the emulator (its token and Graph hosts). */
  emulatorUrl: string;
  /** Where a browser reaches the emulator's consent page. */
  emulatorPublicUrl: string;
  /** Where a browser reaches the vault. */
  publicUrl: string;
  stop(): Promise<void>;
}

/**
 * Sandbox mode (no INSTAGRAM_APP_ID): the emulator runs in-process and stands in for
 * Instagram's three hosts; the app id, secret, encryption key and API key are made once.
 */
export async function startSandbox(env: RawEnv, dataDir: string): Promise<Sandbox> {
  const settings = parseSandboxEnv(env);
  const secrets = loadOrCreateSandboxSecrets(dataDir);
  const port = env.PORT?.trim() || '3000';
  const redirectUri = `${settings.publicUrl}/auth/instagram/callback`;
  const emulator = new InstagramEmulator({
    apps: [
      {
        appId: secrets.appId,
        appSecret: secrets.appSecret,
        redirectUris: [
          ...new Set([
            redirectUri,
            `http://127.0.0.1:${port}/auth/instagram/callback`,
            `http://localhost:${port}/auth/instagram/callback`,
          ]),
        ],
      },
    ],
  });
  const stateFile = join(dataDir, 'emulator-state.json');
  restoreEmulator(emulator, stateFile);
  const emulatorUrl = loopbackFor(
    await emulator.start({ port: settings.emulatorPort, host: settings.emulatorHost }),
    settings.emulatorHost,
  );
  const emulatorPublicUrl = settings.emulatorPublicUrl ?? emulatorUrl;
  return {
    env: {
      INSTAGRAM_APP_ID: secrets.appId,
      INSTAGRAM_APP_SECRET: secrets.appSecret,
      INSTAGRAM_REDIRECT_URI: redirectUri,
      INSTAGRAM_AUTHORIZE_URL: `${emulatorPublicUrl}/oauth/authorize`,
      INSTAGRAM_API_URL: emulatorUrl,
      INSTAGRAM_GRAPH_URL: emulatorUrl,
      TOKEN_ENCRYPTION_KEYS: `sandbox:${secrets.encryptionKey}`,
      API_KEYS: `sandbox:${secrets.apiKey}:*`,
    },
    apiKey: secrets.apiKey,
    emulatorUrl,
    emulatorPublicUrl,
    publicUrl: settings.publicUrl,
    stop: async () => {
      saveEmulator(emulator, stateFile);
      await emulator.stop();
    },
  };
}

/**
 * An emulator bound to every interface is called over loopback: the name the emulator reports
 * (localhost) may resolve to ::1, where an IPv4 listener does not answer.
 */
function loopbackFor(listeningUrl: string, host: string): string {
  const url = new URL(listeningUrl);
  if (host === '0.0.0.0') {
    url.hostname = '127.0.0.1';
  } else if (host === '::') {
    url.hostname = '[::1]';
  }
  return url.origin;
}

/**
 * The emulator's accounts and tokens are kept across restarts (they are the sandbox's stand-in
 * for Instagram's own state), so connections made earlier keep working.
 */
function restoreEmulator(emulator: InstagramEmulator, file: string): void {
  if (existsSync(file)) {
    try {
      emulator.restore(JSON.parse(readFileSync(file, 'utf8')) as EmulatorSnapshot);
    } catch {
      // An unreadable state only costs the earlier sandbox accounts; start afresh.
    }
  }
}

function saveEmulator(emulator: InstagramEmulator, file: string): void {
  writeFileSync(file, JSON.stringify(emulator.snapshot()), { mode: 0o600 });
}
