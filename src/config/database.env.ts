import { ConfigError } from './config.error.js';
import { EnvReader, type RawEnv } from './env.parser.js';

/** Characters a database name cannot carry through a connection URL's path (decodeURI keeps them). */
const URL_RESERVED_IN_NAME = /[;/?:@&=+$,#]/;

const DATABASE_HINT = 'set DATABASE_URL, or PGHOST with PGPORT, PGUSER, PGPASSWORD and PGDATABASE';

/** Whether the environment names a PostgreSQL server (DATABASE_URL or the libpq variables). */
export function databaseConfigured(env: RawEnv): boolean {
  const read = new EnvReader(env);
  return read.optional('DATABASE_URL') !== undefined || read.optional('PGHOST') !== undefined;
}

/**
 * Stops the boot when no server is named and the embedded PostgreSQL is off: the Docker image
 * turns it off (its binaries are not installed there), so a container without a database says so.
 */
export function assertDatabaseAvailable(env: RawEnv): void {
  const read = new EnvReader(env);
  if (!databaseConfigured(env) && !read.boolean('EMBEDDED_DATABASE', true)) {
    throw new ConfigError(
      'DATABASE_URL',
      `${DATABASE_HINT} (EMBEDDED_DATABASE=false, as in the Docker image: no embedded PostgreSQL here)`,
    );
  }
}

/**
 * The connection URL: DATABASE_URL as given, or one built from the standard libpq variables
 * (PGHOST switches them on), each part encoded, so a password may hold any character.
 */
export function readDatabaseUrl(env: RawEnv): string {
  const read = new EnvReader(env);
  const url = read.optional('DATABASE_URL');
  if (url !== undefined) {
    return parseDatabaseUrl(url);
  }
  const host = read.optional('PGHOST');
  if (host === undefined) {
    throw new ConfigError('DATABASE_URL', `is required: ${DATABASE_HINT}`);
  }
  return urlFromLibpqVariables(read, host, env.PGPASSWORD);
}

function urlFromLibpqVariables(
  read: EnvReader,
  host: string,
  password: string | undefined,
): string {
  if (host.includes(',')) {
    throw new ConfigError('PGHOST', 'must name one host (use DATABASE_URL for anything else)');
  }
  const port = read.integer('PGPORT', 5432, 1, 65535);
  const user = read.optional('PGUSER');
  const database = read.optional('PGDATABASE');
  if (database !== undefined && URL_RESERVED_IN_NAME.test(database)) {
    throw new ConfigError(
      'PGDATABASE',
      'cannot hold any of ; / ? : @ & = + $ , # (use DATABASE_URL for such a name)',
    );
  }
  // The password is taken as written, spaces included: it is a secret, not a setting.
  const secret = password ? `:${encodeURIComponent(password)}` : '';
  const credentials =
    user !== undefined || secret ? `${encodeURIComponent(user ?? '')}${secret}@` : '';
  const path = `/${encodeURIComponent(database ?? '')}`;
  if (host.startsWith('/')) {
    // A Unix socket directory, as libpq allows: node-postgres takes it from the host parameter.
    return `postgresql://${credentials}localhost:${port}${path}?host=${encodeURIComponent(host)}`;
  }
  const hostname = host.includes(':') ? `[${host.replace(/^\[|\]$/g, '')}]` : host;
  const url = `postgresql://${credentials}${hostname}:${port}${path}`;
  if (!URL.canParse(url)) {
    throw new ConfigError(
      'PGHOST',
      `"${host}" is not a host name, an address or a socket directory`,
    );
  }
  return url;
}

function parseDatabaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('DATABASE_URL', 'must be a postgresql:// URL');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new ConfigError(
      'DATABASE_URL',
      `must be a postgresql:// URL, got "${url.protocol}//..."`,
    );
  }
  return value;
}
