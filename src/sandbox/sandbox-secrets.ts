import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMULATOR_DEFAULTS } from '../config/emulator.env.js';

/** Made once and kept under .data/, so restarts keep the same key and stored tokens stay readable. */
export interface SandboxSecrets {
  appId: string;
  appSecret: string;
  encryptionKey: string;
  apiKey: string;
}

const FILE_NAME = 'sandbox-secrets.json';

export function loadOrCreateSandboxSecrets(dataDir: string): SandboxSecrets {
  const file = join(dataDir, FILE_NAME);
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<SandboxSecrets>;
    if (stored.appId && stored.appSecret && stored.encryptionKey && stored.apiKey) {
      return stored as SandboxSecrets;
    }
  }
  const secrets: SandboxSecrets = {
    appId: EMULATOR_DEFAULTS.appId,
    appSecret: randomBytes(24).toString('hex'),
    encryptionKey: randomBytes(32).toString('base64'),
    apiKey: `sbx_${randomBytes(24).toString('base64url')}`,
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}
