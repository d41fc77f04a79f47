import { ConfigError } from './config.error.js';
import { EnvReader, type RawEnv } from './env.parser.js';

export const EMULATOR_DEFAULTS = {
  port: 4100,
  host: '127.0.0.1',
  appId: '1000000000000001',
  appSecret: 'emulator-app-secret',
  redirectUris: [
    'http://localhost:3000/auth/instagram/callback',
    'http://127.0.0.1:3000/auth/instagram/callback',
  ],
} as const;

/** Settings of the standalone Instagram emulator (`npm run emulator`). */
export interface EmulatorEnv {
  port: number;
  host: string;
  appId: string;
  appSecret: string;
  redirectUris: string[];
  /** Added before every answer, to stand in for Instagram's own latency. */
  latencyMs: number;
}

/** Throws ConfigError naming the first bad variable. */
export function parseEmulatorEnv(env: RawEnv): EmulatorEnv {
  const read = new EnvReader(env);
  const port = read.integer('EMULATOR_PORT', EMULATOR_DEFAULTS.port, 0, 65535);
  const redirectUris = read.list('EMULATOR_REDIRECT_URIS', [...EMULATOR_DEFAULTS.redirectUris]);
  for (const uri of redirectUris) {
    if (!URL.canParse(uri)) {
      throw new ConfigError('EMULATOR_REDIRECT_URIS', `"${uri}" is not an absolute URL`);
    }
  }
  if (redirectUris.length === 0) {
    throw new ConfigError('EMULATOR_REDIRECT_URIS', 'must name at least one URI');
  }
  return {
    port,
    host: read.optional('EMULATOR_HOST') ?? EMULATOR_DEFAULTS.host,
    appId: read.optional('EMULATOR_APP_ID') ?? EMULATOR_DEFAULTS.appId,
    appSecret: read.optional('EMULATOR_APP_SECRET') ?? EMULATOR_DEFAULTS.appSecret,
    redirectUris,
    latencyMs: read.integer('EMULATOR_LATENCY_MS', 0, 0, 60000),
  };
}

/** The one place the emulator reads the process environment. */
export function readEmulatorEnv(): EmulatorEnv {
  return parseEmulatorEnv({ ...process.env });
}
