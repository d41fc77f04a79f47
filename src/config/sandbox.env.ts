import { ConfigError } from './config.error.js';
import { EnvReader, type RawEnv } from './env.parser.js';

/**
 * Where sandbox mode's in-process emulator listens, and the addresses a browser uses to reach
 * the vault and the emulator. Unset, everything is on this machine's loopback (`npm start`);
 * in a container the listeners bind to all interfaces and the public URLs name the host's ports.
 */
export interface SandboxEnv {
  emulatorHost: string;
  /** 0: any free port. */
  emulatorPort: number;
  /** The vault's origin as the browser sees it: the redirect URI and the banner's links. */
  publicUrl: string;
  /** The emulator's origin as the browser sees it (the consent page); unset: where it listens. */
  emulatorPublicUrl?: string;
}

/** Throws ConfigError naming the first bad variable. */
export function parseSandboxEnv(env: RawEnv): SandboxEnv {
  const read = new EnvReader(env);
  const port = read.integer('PORT', 3000, 0, 65535);
  const emulatorPublicUrl = read.optional('SANDBOX_EMULATOR_PUBLIC_URL');
  return {
    emulatorHost: read.optional('SANDBOX_EMULATOR_HOST') ?? '127.0.0.1',
    emulatorPort: read.integer('SANDBOX_EMULATOR_PORT', 0, 0, 65535),
    publicUrl: parsePublicOrigin(
      'SANDBOX_PUBLIC_URL',
      read.optional('SANDBOX_PUBLIC_URL') ?? `http://127.0.0.1:${port}`,
    ),
    emulatorPublicUrl:
      emulatorPublicUrl === undefined
        ? undefined
        : parsePublicOrigin('SANDBOX_EMULATOR_PUBLIC_URL', emulatorPublicUrl),
  };
}

function parsePublicOrigin(variable: string, value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (
    url === undefined ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.origin !== value.replace(/\/$/, '')
  ) {
    throw new ConfigError(
      variable,
      `must be an http(s) origin such as http://127.0.0.1:3000 (no path), got "${value}"`,
    );
  }
  return url.origin;
}
