import { hostname } from 'node:os';
import {
  API_SCOPES,
  type ApiKeyConfig,
  type ApiScope,
  type AppConfig,
  type EncryptionKeyConfig,
  LOG_LEVELS,
  type RefreshConfig,
  type WebhookConfig,
} from './app-config.js';
import { ConfigError } from './config.error.js';
import { readDatabaseUrl } from './database.env.js';
import { EnvReader, type RawEnv } from './env.parser.js';

export const DEFAULT_USER_FIELDS =
  'user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count';
/** The media fields the service reads and answers (camelCased); INSTAGRAM_MEDIA_FIELDS picks among them. */
export const MEDIA_FIELDS = [
  'id',
  'caption',
  'media_type',
  'media_product_type',
  'media_url',
  'thumbnail_url',
  'permalink',
  'timestamp',
  'username',
  'like_count',
  'comments_count',
] as const;
export const DEFAULT_GRAPH_PROXY_PATHS = 'me,me/media,{id},{id}/children,{id}/insights,me/insights';
const MIN_API_KEY_SECRET_LENGTH = 16;
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ParseEnvOptions {
  /** Set when the sandbox filled in the Instagram settings with its emulator's. */
  sandbox?: boolean;
}

/** Validates the environment once; throws ConfigError naming the first bad variable. */
export function parseEnv(env: RawEnv, options: ParseEnvOptions = {}): AppConfig {
  const read = new EnvReader(env);
  const sandbox = options.sandbox ?? false;
  const why = 'when INSTAGRAM_APP_ID is set';
  read.required('INSTAGRAM_APP_ID', '(unset it to run in sandbox mode)');

  const port = read.integer('PORT', 3000, 0, 65535);

  return {
    http: {
      port,
      host: read.optional('HOST') ?? (sandbox ? '127.0.0.1' : '0.0.0.0'),
      trustProxy: parseTrustProxy(read.optional('TRUST_PROXY')),
      shutdownTimeoutMs: read.integer('SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000),
      requestTimeoutMs: read.integer('HTTP_REQUEST_TIMEOUT_MS', 30000, 1000, 600000),
      maxConnections: read.integer('HTTP_MAX_CONNECTIONS', 1024, 1, 1000000),
      metricsPort: parseMetricsPort(read, port),
    },
    database: {
      url: readDatabaseUrl(env),
      migrateOnStart: read.boolean('MIGRATE_ON_START', true),
      poolSize: read.integer('DATABASE_POOL_SIZE', 10, 1, 1000),
      timeoutMs: read.integer('DATABASE_TIMEOUT_MS', 5000, 100, 600000),
      // Batched sweeps need few connections; a quarter of the workers, at least two.
      backgroundPoolSize: Math.max(
        2,
        Math.ceil(read.integer('REFRESH_CONCURRENCY', 8, 1, 256) / 4),
      ),
    },
    instagram: {
      appId: parseAppId(read.required('INSTAGRAM_APP_ID', '')),
      appSecret: read.required('INSTAGRAM_APP_SECRET', why),
      redirectUri: read.httpUrl(
        'INSTAGRAM_REDIRECT_URI',
        read.required('INSTAGRAM_REDIRECT_URI', why),
      ),
      scopes: parseScopes(read.list('INSTAGRAM_SCOPES', ['instagram_business_basic'])),
      authorizeUrl: read.httpUrl(
        'INSTAGRAM_AUTHORIZE_URL',
        'https://www.instagram.com/oauth/authorize',
      ),
      apiUrl: withoutTrailingSlash(read.httpUrl('INSTAGRAM_API_URL', 'https://api.instagram.com')),
      graphUrl: withoutTrailingSlash(
        read.httpUrl('INSTAGRAM_GRAPH_URL', 'https://graph.instagram.com'),
      ),
      graphVersion: parseGraphVersion(read.optional('INSTAGRAM_GRAPH_VERSION')),
      userFields: parseUserFields(
        read.list('INSTAGRAM_USER_FIELDS', DEFAULT_USER_FIELDS.split(',')),
      ),
      mediaFields: parseMediaFields(read.list('INSTAGRAM_MEDIA_FIELDS', [...MEDIA_FIELDS])),
      timeoutMs: read.integer('INSTAGRAM_TIMEOUT_MS', 10000, 100, 120000),
    },
    vault: {
      encryptionKeys: parseEncryptionKeys(read.required('TOKEN_ENCRYPTION_KEYS', why)),
    },
    apiKeys: parseApiKeys(read.required('API_KEYS', why)),
    auth: { returnToOrigins: read.list('AUTH_RETURN_TO_ORIGINS').map(parseOrigin) },
    refresh: parseRefresh(read),
    users: { cacheTtlMs: read.integer('USERS_CACHE_TTL_MS', 0, 0, 86_400_000) },
    graphProxy: {
      paths: parseGraphProxyPaths(
        read.list('GRAPH_PROXY_PATHS', DEFAULT_GRAPH_PROXY_PATHS.split(',')),
      ),
    },
    rateLimit: { publicPerMinute: read.integer('RATE_LIMIT_PER_MINUTE', 60, 0, 1000000) },
    webhook: parseWebhook(read),
    audit: { retentionDays: read.integer('AUDIT_RETENTION_DAYS', 400, 1, 36500) },
    log: { level: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info') },
    sandbox,
  };
}

/**
 * Whom to believe about the client address (X-Forwarded-For): nobody (default), a number of
 * proxy hops, or proxy addresses and ranges. `true` believes anyone, which lets a client pick
 * its own address (and dodge the rate limit): only behind a proxy that overwrites the header.
 */
function parseTrustProxy(value: string | undefined): boolean | number | string[] {
  if (value === undefined || value.toLowerCase() === 'false') {
    return false;
  }
  if (value.toLowerCase() === 'true') {
    return true;
  }
  if (/^\d{1,2}$/.test(value)) {
    return Number(value);
  }
  const entries = value.split(',').map((entry) => entry.trim());
  const address = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)$/;
  for (const entry of entries) {
    if (!address.test(entry)) {
      throw new ConfigError(
        'TRUST_PROXY',
        `must be false, true, a hop count, or proxy addresses/CIDR ranges; "${entry}" is none`,
      );
    }
  }
  return entries;
}

function parseRefresh(read: EnvReader): RefreshConfig {
  const timeoutMs = read.integer('INSTAGRAM_TIMEOUT_MS', 10000, 100, 120000);
  return {
    sweepIntervalMs: read.integer('REFRESH_SWEEP_INTERVAL_MS', 300000, 0, 86400000),
    aheadSeconds: read.integer('REFRESH_AHEAD_SECONDS', 604800, 60, 5184000),
    minAgeSeconds: read.integer('REFRESH_MIN_AGE_SECONDS', 86400, 0, 5184000),
    concurrency: read.integer('REFRESH_CONCURRENCY', 8, 1, 256),
    // One Instagram call is bounded by the timeout; the rest is two short database writes.
    leaseMs: timeoutMs + 30000,
    replicaId: parseReplicaId(read.optional('REPLICA_ID') ?? hostname()),
  };
}

function parseReplicaId(value: string): string {
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(value)) {
    throw new ConfigError(
      'REPLICA_ID',
      'must be 1-128 letters, digits, dots, underscores, colons or dashes',
    );
  }
  return value;
}

function parseWebhook(read: EnvReader): WebhookConfig | undefined {
  const url = read.optional('WEBHOOK_URL');
  if (url === undefined) {
    return undefined;
  }
  const secret = read.required('WEBHOOK_SECRET', 'when WEBHOOK_URL is set');
  if (secret.length < 16) {
    throw new ConfigError('WEBHOOK_SECRET', 'must be at least 16 characters');
  }
  return { url: read.httpUrl('WEBHOOK_URL'), secret };
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

function parseAppId(value: string): string {
  if (!/^\d+$/.test(value)) {
    throw new ConfigError(
      'INSTAGRAM_APP_ID',
      'must be the numeric Instagram app id from the Instagram product settings',
    );
  }
  return value;
}

function parseScopes(scopes: string[]): string[] {
  for (const scope of scopes) {
    if (!/^[a-z_]+$/.test(scope)) {
      throw new ConfigError('INSTAGRAM_SCOPES', `"${scope}" is not a scope name`);
    }
  }
  if (scopes.length === 0) {
    throw new ConfigError('INSTAGRAM_SCOPES', 'must name at least one scope');
  }
  return scopes;
}

function parseGraphVersion(value: string | undefined): string {
  if (value === undefined) {
    return '';
  }
  if (!/^v\d+\.\d+$/.test(value)) {
    throw new ConfigError('INSTAGRAM_GRAPH_VERSION', `must look like v23.0, got "${value}"`);
  }
  return value;
}

function parseUserFields(fields: string[]): string[] {
  for (const field of fields) {
    if (!/^[a-z_]+$/.test(field)) {
      throw new ConfigError('INSTAGRAM_USER_FIELDS', `"${field}" is not a field name`);
    }
  }
  if (!fields.includes('username')) {
    throw new ConfigError('INSTAGRAM_USER_FIELDS', 'must include username');
  }
  return fields;
}

function parseMediaFields(fields: string[]): string[] {
  for (const field of fields) {
    if (!(MEDIA_FIELDS as readonly string[]).includes(field)) {
      throw new ConfigError(
        'INSTAGRAM_MEDIA_FIELDS',
        `"${field}" is not a media field this service reads (use ${MEDIA_FIELDS.join(', ')})`,
      );
    }
  }
  if (!fields.includes('id')) {
    throw new ConfigError('INSTAGRAM_MEDIA_FIELDS', 'must include id');
  }
  return [...new Set(fields)];
}

/**
 * Graph path patterns: segments of lowercase edge names or `{id}` (a run of digits), starting
 * at a node (`me` or `{id}`). Instagram's token endpoints are root paths, so none can be named.
 */
function parseGraphProxyPaths(patterns: string[]): string[] {
  const segment = /^([a-z][a-z0-9_]{0,63}|\{id\})$/;
  for (const pattern of patterns) {
    const segments = pattern.split('/');
    if (segments.length > 4 || !segments.every((part) => segment.test(part))) {
      throw new ConfigError(
        'GRAPH_PROXY_PATHS',
        `"${pattern}" is not a path pattern (up to 4 segments of lowercase names or {id}, such as me/media or {id}/children)`,
      );
    }
    if (segments[0] !== 'me' && segments[0] !== '{id}') {
      throw new ConfigError('GRAPH_PROXY_PATHS', `"${pattern}" must start at me or {id}`);
    }
  }
  return [...new Set(patterns)];
}

function parseEncryptionKeys(value: string): EncryptionKeyConfig[] {
  const variable = 'TOKEN_ENCRYPTION_KEYS';
  const keys = value.split(',').map((entry, index) => {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator).trim();
    const encoded = entry.slice(separator + 1).trim();
    if (separator < 0 || !KEY_ID_PATTERN.test(id)) {
      throw new ConfigError(variable, `entry ${index + 1} must be keyId:base64key`);
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) {
      throw new ConfigError(
        variable,
        `key "${id}" must be 32 bytes in base64 (make one with: openssl rand -base64 32)`,
      );
    }
    return { id, key };
  });
  const ids = new Set(keys.map((key) => key.id));
  if (ids.size !== keys.length) {
    throw new ConfigError(variable, 'key ids must be unique');
  }
  return keys;
}

function parseApiKeys(value: string): ApiKeyConfig[] {
  const variable = 'API_KEYS';
  const keys = value.split(',').map((entry, index) => {
    const parts = entry.trim().split(':');
    if (parts.length !== 3 || !parts[0] || !parts[1] || !parts[2]) {
      throw new ConfigError(variable, `entry ${index + 1} must be name:secret:scopes`);
    }
    const [name, secret, scopeList] = parts;
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) {
      throw new ConfigError(variable, `entry ${index + 1} has an invalid name`);
    }
    if (secret.length < MIN_API_KEY_SECRET_LENGTH) {
      throw new ConfigError(
        variable,
        `the secret of "${name}" must be at least ${MIN_API_KEY_SECRET_LENGTH} characters`,
      );
    }
    return { name, secret, scopes: parseApiScopes(name, scopeList) };
  });
  if (new Set(keys.map((key) => key.name)).size !== keys.length) {
    throw new ConfigError(variable, 'key names must be unique');
  }
  if (new Set(keys.map((key) => key.secret)).size !== keys.length) {
    throw new ConfigError(variable, 'two keys share a secret');
  }
  return keys;
}

function parseApiScopes(name: string, scopeList: string): ReadonlySet<ApiScope> {
  if (scopeList === '*') {
    return new Set(API_SCOPES);
  }
  const scopes = scopeList.split('+');
  for (const scope of scopes) {
    if (!(API_SCOPES as readonly string[]).includes(scope)) {
      // Echo the text only when it looks like a scope: swapped fields would print a secret.
      const shown = /^[a-z]{1,16}\.[a-z]{1,16}$/.test(scope) ? ` "${scope}"` : '';
      throw new ConfigError(
        'API_KEYS',
        `"${name}" has an unknown scope${shown} (use ${API_SCOPES.join(', ')} or *)`,
      );
    }
  }
  return new Set(scopes as ApiScope[]);
}

function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('AUTH_RETURN_TO_ORIGINS', `"${value}" is not an origin`);
  }
  if (url.origin === 'null' || url.origin !== value.replace(/\/$/, '')) {
    throw new ConfigError(
      'AUTH_RETURN_TO_ORIGINS',
      `"${value}" must be an origin such as https://app.example.com (no path)`,
    );
  }
  return url.origin;
}

/** Unset: /metrics is served on PORT. Set: only on this port, by a listener of its own. */
function parseMetricsPort(read: EnvReader, port: number): number | undefined {
  if (read.optional('METRICS_PORT') === undefined) {
    return undefined;
  }
  const metricsPort = read.integer('METRICS_PORT', 0, 1, 65535);
  if (metricsPort === port) {
    throw new ConfigError(
      'METRICS_PORT',
      'must differ from PORT (unset it to serve /metrics on PORT)',
    );
  }
  return metricsPort;
}
