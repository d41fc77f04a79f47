import { API_SCOPES } from './app-config.js';
import { ConfigError } from './config.error.js';
import type { RawEnv } from './env.parser.js';
import { DEFAULT_USER_FIELDS, MEDIA_FIELDS, parseEnv } from './env.schema.js';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const APP_SECRET = 'app-secret-5f3c9a1e7b2d4c6f';
const API_SECRET = 'api-secret-9d8e7f6a5b4c3d2e';

const VALID_ENV = {
  INSTAGRAM_APP_ID: '1234567890123456',
  INSTAGRAM_APP_SECRET: APP_SECRET,
  INSTAGRAM_REDIRECT_URI: 'https://vault.test/auth/instagram/callback',
  TOKEN_ENCRYPTION_KEYS: `a:${KEY_A.toString('base64')}`,
  API_KEYS: `svc:${API_SECRET}:tokens.read+tokens.write`,
  DATABASE_URL: 'postgresql://vault:pw@db.test:5432/vault',
} as const;

function env(overrides: Record<string, string | undefined> = {}): RawEnv {
  return { ...VALID_ENV, ...overrides };
}

function configErrorOf(raw: RawEnv): ConfigError {
  try {
    parseEnv(raw);
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('parseEnv accepted an environment it should have refused');
}

const MISSING = [
  'INSTAGRAM_APP_SECRET',
  'INSTAGRAM_REDIRECT_URI',
  'TOKEN_ENCRYPTION_KEYS',
  'API_KEYS',
  'DATABASE_URL',
];

const MALFORMED: [string, string, Record<string, string>][] = [
  [
    'an encryption key that is not 32 bytes',
    'TOKEN_ENCRYPTION_KEYS',
    { TOKEN_ENCRYPTION_KEYS: `a:${Buffer.alloc(16, 1).toString('base64')}` },
  ],
  [
    'an encryption key entry without a colon',
    'TOKEN_ENCRYPTION_KEYS',
    { TOKEN_ENCRYPTION_KEYS: KEY_A.toString('base64') },
  ],
  [
    'duplicate encryption key ids',
    'TOKEN_ENCRYPTION_KEYS',
    { TOKEN_ENCRYPTION_KEYS: `a:${KEY_A.toString('base64')},a:${KEY_B.toString('base64')}` },
  ],
  ['an API key with an unknown scope', 'API_KEYS', { API_KEYS: `svc:${API_SECRET}:tokens.delete` }],
  [
    'a media field the service does not read',
    'INSTAGRAM_MEDIA_FIELDS',
    { INSTAGRAM_MEDIA_FIELDS: 'id,caption,shortcode' },
  ],
  ['media fields without id', 'INSTAGRAM_MEDIA_FIELDS', { INSTAGRAM_MEDIA_FIELDS: 'caption' }],
  ['a proxy path with a dot segment', 'GRAPH_PROXY_PATHS', { GRAPH_PROXY_PATHS: 'me/../oauth' }],
  ['a proxy path with a wildcard', 'GRAPH_PROXY_PATHS', { GRAPH_PROXY_PATHS: 'me/*' }],
  ['a proxy path with a query', 'GRAPH_PROXY_PATHS', { GRAPH_PROXY_PATHS: 'me?fields=id' }],
  ['a proxy path with an empty segment', 'GRAPH_PROXY_PATHS', { GRAPH_PROXY_PATHS: 'me//media' }],
  [
    "a proxy path at Instagram's token endpoint",
    'GRAPH_PROXY_PATHS',
    { GRAPH_PROXY_PATHS: 'me,refresh_access_token' },
  ],
  ['a proxy path with an unnamed id', 'GRAPH_PROXY_PATHS', { GRAPH_PROXY_PATHS: '{}/media' }],
  ['an API key secret shorter than 16 characters', 'API_KEYS', { API_KEYS: 'svc:short-secret:*' }],
  [
    'duplicate API key names',
    'API_KEYS',
    { API_KEYS: `svc:${API_SECRET}:*,svc:${API_SECRET}-other:tokens.read` },
  ],
  ['a non-numeric INSTAGRAM_APP_ID', 'INSTAGRAM_APP_ID', { INSTAGRAM_APP_ID: 'my-app' }],
  ['a non-numeric PORT', 'PORT', { PORT: 'http' }],
  ['a PORT above 65535', 'PORT', { PORT: '70000' }],
  ['a non-numeric INSTAGRAM_TIMEOUT_MS', 'INSTAGRAM_TIMEOUT_MS', { INSTAGRAM_TIMEOUT_MS: '10s' }],
  ['a tiny INSTAGRAM_TIMEOUT_MS', 'INSTAGRAM_TIMEOUT_MS', { INSTAGRAM_TIMEOUT_MS: '5' }],
  [
    'an INSTAGRAM_GRAPH_VERSION without its v and minor',
    'INSTAGRAM_GRAPH_VERSION',
    { INSTAGRAM_GRAPH_VERSION: '23' },
  ],
  [
    'a return-to origin with a path',
    'AUTH_RETURN_TO_ORIGINS',
    { AUTH_RETURN_TO_ORIGINS: 'https://app.test/after-login' },
  ],
  [
    'a schemeless INSTAGRAM_API_URL',
    'INSTAGRAM_API_URL',
    { INSTAGRAM_API_URL: 'api.instagram.com' },
  ],
  ['a non-boolean MIGRATE_ON_START', 'MIGRATE_ON_START', { MIGRATE_ON_START: 'sometimes' }],
  [
    'a DATABASE_URL that is not PostgreSQL',
    'DATABASE_URL',
    { DATABASE_URL: 'mysql://vault:pw@db.test:3306/vault' },
  ],
  ['a DATABASE_URL that is not a URL', 'DATABASE_URL', { DATABASE_URL: 'db.test:5432' }],
  [
    'a request timeout under a second',
    'HTTP_REQUEST_TIMEOUT_MS',
    { HTTP_REQUEST_TIMEOUT_MS: '500' },
  ],
  ['no connections at all', 'HTTP_MAX_CONNECTIONS', { HTTP_MAX_CONNECTIONS: '0' }],
  ['a retention of zero days', 'AUDIT_RETENTION_DAYS', { AUDIT_RETENTION_DAYS: '0' }],
];

describe('parseEnv', () => {
  it('parses a complete environment into the typed config with the documented defaults', () => {
    const config = parseEnv(env());

    expect(config.http).toEqual({
      port: 3000,
      host: '0.0.0.0',
      trustProxy: false,
      shutdownTimeoutMs: 10000,
      requestTimeoutMs: 30000,
      maxConnections: 1024,
    });
    expect(config.database).toEqual({
      url: VALID_ENV.DATABASE_URL,
      migrateOnStart: true,
      poolSize: 10,
      backgroundPoolSize: 2,
      timeoutMs: 5000,
    });
    expect(config.instagram).toEqual({
      appId: '1234567890123456',
      appSecret: APP_SECRET,
      redirectUri: 'https://vault.test/auth/instagram/callback',
      scopes: ['instagram_business_basic'],
      authorizeUrl: 'https://www.instagram.com/oauth/authorize',
      apiUrl: 'https://api.instagram.com',
      graphUrl: 'https://graph.instagram.com',
      graphVersion: '',
      userFields: DEFAULT_USER_FIELDS.split(','),
      mediaFields: [...MEDIA_FIELDS],
      timeoutMs: 10000,
    });
    expect(config.instagram.mediaFields.join(',')).toBe(
      'id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,timestamp,username,like_count,comments_count',
    );
    expect(config.graphProxy.paths).toEqual([
      'me',
      'me/media',
      '{id}',
      '{id}/children',
      '{id}/insights',
      'me/insights',
    ]);
    expect(config.instagram.userFields).toEqual([
      'user_id',
      'username',
      'name',
      'account_type',
      'profile_picture_url',
      'followers_count',
      'follows_count',
      'media_count',
    ]);
    expect(config.vault.encryptionKeys).toEqual([{ id: 'a', key: KEY_A }]);
    expect(config.apiKeys).toEqual([
      { name: 'svc', secret: API_SECRET, scopes: new Set(['tokens.read', 'tokens.write']) },
    ]);
    expect(config.auth.returnToOrigins).toEqual([]);
    expect(config.audit).toEqual({ retentionDays: 400 });
    expect(config.sandbox).toBe(false);
  });

  it('binds to 127.0.0.1 by default in sandbox mode', () => {
    const config = parseEnv(env(), { sandbox: true });

    expect(config.http.host).toBe('127.0.0.1');
    expect(config.sandbox).toBe(true);
  });

  it('takes explicit values over the defaults', () => {
    const config = parseEnv(
      env({
        PORT: '8080',
        HOST: '10.0.0.5',
        MIGRATE_ON_START: 'false',
        INSTAGRAM_SCOPES: 'instagram_business_basic, instagram_business_manage_messages',
        INSTAGRAM_GRAPH_VERSION: 'v23.0',
        INSTAGRAM_USER_FIELDS: 'id,username,account_type,media_count',
        INSTAGRAM_TIMEOUT_MS: '2500',
        INSTAGRAM_MEDIA_FIELDS: 'id, media_type,permalink',
        GRAPH_PROXY_PATHS: 'me/media, {id}/comments,{id}/insights/metric_name',
        AUTH_RETURN_TO_ORIGINS: 'https://app.test, http://localhost:5173/',
        HTTP_REQUEST_TIMEOUT_MS: '5000',
        HTTP_MAX_CONNECTIONS: '200',
        AUDIT_RETENTION_DAYS: '90',
      }),
      { sandbox: true },
    );

    expect(config.http).toMatchObject({
      port: 8080,
      host: '10.0.0.5',
      trustProxy: false,
      requestTimeoutMs: 5000,
      maxConnections: 200,
    });
    expect(config.audit.retentionDays).toBe(90);
    expect(config.database.migrateOnStart).toBe(false);
    expect(config.instagram.scopes).toEqual([
      'instagram_business_basic',
      'instagram_business_manage_messages',
    ]);
    expect(config.instagram.graphVersion).toBe('v23.0');
    expect(config.instagram.userFields).toEqual(['id', 'username', 'account_type', 'media_count']);
    expect(config.instagram.timeoutMs).toBe(2500);
    expect(config.instagram.mediaFields).toEqual(['id', 'media_type', 'permalink']);
    expect(config.graphProxy.paths).toEqual([
      'me/media',
      '{id}/comments',
      '{id}/insights/metric_name',
    ]);
    expect(config.auth.returnToOrigins).toEqual(['https://app.test', 'http://localhost:5173']);
  });

  it.each(MISSING)('refuses to start without %s and names it first', (variable) => {
    const error = configErrorOf(env({ [variable]: undefined }));

    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('treats a blank required variable as missing', () => {
    const error = configErrorOf(env({ API_KEYS: '   ' }));

    expect(error.message.startsWith('API_KEYS: ')).toBe(true);
  });

  it.each(MALFORMED)('refuses %s, naming %s', (_, variable, overrides) => {
    const error = configErrorOf(env(overrides));

    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('never puts the API key secret or the app secret in an error message', () => {
    const messages = [
      ...MISSING.map((variable) => configErrorOf(env({ [variable]: undefined })).message),
      ...MALFORMED.map(([, , overrides]) => configErrorOf(env(overrides)).message),
    ];

    expect(messages).toHaveLength(MISSING.length + MALFORMED.length);
    for (const message of messages) {
      expect(message).not.toContain(API_SECRET);
      expect(message).not.toContain(APP_SECRET);
    }
  });

  it('does not echo a secret written in the scopes position of API_KEYS', () => {
    const error = configErrorOf(env({ API_KEYS: `svc:tokens.read+tokens.write:${API_SECRET}` }));

    expect(error.variable).toBe('API_KEYS');
    expect(error.message).not.toContain(API_SECRET);
  });

  it('gives an API key with scopes * every scope', () => {
    const config = parseEnv(env({ API_KEYS: `admin:${API_SECRET}:*` }));

    expect(config.apiKeys[0].scopes).toEqual(new Set(API_SCOPES));
    expect([...config.apiKeys[0].scopes].sort()).toEqual([
      'graph.read',
      'tokens.read',
      'tokens.reveal',
      'tokens.write',
      'users.read',
    ]);
  });

  it('gives an API key exactly the scopes joined by +', () => {
    const apiKeys = `reader:${API_SECRET}:tokens.read+users.read,ops:${API_SECRET}-2:tokens.reveal,proxy:${API_SECRET}-3:graph.read`;

    const config = parseEnv(env({ API_KEYS: apiKeys }));

    expect(config.apiKeys.map((key) => [key.name, [...key.scopes].sort()])).toEqual([
      ['reader', ['tokens.read', 'users.read']],
      ['ops', ['tokens.reveal']],
      ['proxy', ['graph.read']],
    ]);
  });

  it('keeps encryption keys in the order given, so the first one encrypts', () => {
    const keys = `b:${KEY_B.toString('base64')}, a:${KEY_A.toString('base64')}`;

    const config = parseEnv(env({ TOKEN_ENCRYPTION_KEYS: keys }));

    expect(config.vault.encryptionKeys).toEqual([
      { id: 'b', key: KEY_B },
      { id: 'a', key: KEY_A },
    ]);
  });

  it('removes a trailing slash from INSTAGRAM_API_URL and INSTAGRAM_GRAPH_URL', () => {
    const config = parseEnv(
      env({
        INSTAGRAM_API_URL: 'http://127.0.0.1:4100/',
        INSTAGRAM_GRAPH_URL: 'http://127.0.0.1:4100/graph/',
      }),
    );

    expect(config.instagram.apiUrl).toBe('http://127.0.0.1:4100');
    expect(config.instagram.graphUrl).toBe('http://127.0.0.1:4100/graph');
  });

  it('keeps INSTAGRAM_REDIRECT_URI byte for byte, trailing slash included', () => {
    const config = parseEnv(env({ INSTAGRAM_REDIRECT_URI: 'https://vault.test/callback/' }));

    expect(config.instagram.redirectUri).toBe('https://vault.test/callback/');
  });

  it('reads TRUST_PROXY as off, any, a hop count, or proxy addresses', () => {
    expect(parseEnv(env()).http.trustProxy).toBe(false);
    expect(parseEnv(env({ TRUST_PROXY: 'true' })).http.trustProxy).toBe(true);
    expect(parseEnv(env({ TRUST_PROXY: '2' })).http.trustProxy).toBe(2);
    expect(parseEnv(env({ TRUST_PROXY: '10.0.0.0/8, loopback' })).http.trustProxy).toEqual([
      '10.0.0.0/8',
      'loopback',
    ]);
    expect(() => parseEnv(env({ TRUST_PROXY: 'the-load-balancer' }))).toThrow(/^TRUST_PROXY: /);
  });

  it('serves /metrics on PORT unless METRICS_PORT names another port', () => {
    expect(parseEnv(env()).http.metricsPort).toBeUndefined();
    expect(parseEnv(env({ METRICS_PORT: '9464' })).http.metricsPort).toBe(9464);
    expect(() => parseEnv(env({ METRICS_PORT: '3000' }))).toThrow(/^METRICS_PORT: must differ/);
    expect(() => parseEnv(env({ METRICS_PORT: '0' }))).toThrow(/^METRICS_PORT: /);
  });

  it('connects with the libpq variables when DATABASE_URL is unset', () => {
    const config = parseEnv(
      env({ DATABASE_URL: undefined, PGHOST: 'db', PGUSER: 'vault', PGPASSWORD: 'a@b' }),
    );

    expect(config.database.url).toBe('postgresql://vault:a%40b@db:5432/');
  });
});
