export const API_SCOPES = [
  'tokens.read',
  'tokens.write',
  'tokens.reveal',
  'users.read',
  'graph.read',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ApiKeyConfig {
  name: string;
  secret: string;
  scopes: ReadonlySet<ApiScope>;
}

export interface EncryptionKeyConfig {
  id: string;
  key: Buffer;
}

export interface InstagramConfig {
  appId: string;
  appSecret: string;
  redirectUri: string;
  scopes: string[];
  authorizeUrl: string;
  apiUrl: string;
  graphUrl: string;
  graphVersion: string;
  userFields: string[];
  /** Fields read for media (INSTAGRAM_MEDIA_FIELDS); always holds `id`. */
  mediaFields: string[];
  timeoutMs: number;
}

export interface RefreshConfig {
  /** 0 turns the scheduled sweep off. */
  sweepIntervalMs: number;
  aheadSeconds: number;
  minAgeSeconds: number;
  concurrency: number;
  /** How long a claimed token stays with its replica before another may take it. */
  leaseMs: number;
  /** This replica's name in leases: stable across restarts, so it can take its own back. */
  replicaId: string;
}

export interface DatabaseConfig {
  url: string;
  migrateOnStart: boolean;
  /** Connections in the request pool. */
  poolSize: number;
  /** Connect timeout, pool wait and statement timeout of every query. */
  timeoutMs: number;
  /** Connections kept for background work (sweeps, deliveries) beside the request pool. */
  backgroundPoolSize: number;
}

export interface WebhookConfig {
  url: string;
  secret: string;
}

/** The whole validated configuration; built once at boot by parseEnv(). */
export interface AppConfig {
  http: {
    port: number;
    host: string;
    /** Fastify's trustProxy: false, true (any), a hop count, or proxy addresses/ranges. */
    trustProxy: boolean | number | string[];
    shutdownTimeoutMs: number;
    /** Bound on receiving one whole request (headers and body) from a client. */
    requestTimeoutMs: number;
    /** Open connections one replica accepts; more are closed at once. */
    maxConnections: number;
    /** Set: /metrics is served only on this port (a listener of its own), 404 on `port`. */
    metricsPort?: number;
  };
  database: DatabaseConfig;
  instagram: InstagramConfig;
  vault: { encryptionKeys: EncryptionKeyConfig[] };
  apiKeys: ApiKeyConfig[];
  auth: { returnToOrigins: string[] };
  refresh: RefreshConfig;
  /** How long a successful user-node, media or proxied answer may be reused; 0: never. */
  users: { cacheTtlMs: number };
  /** Path patterns the Graph read proxy forwards (GRAPH_PROXY_PATHS), e.g. `{id}/children`. */
  graphProxy: { paths: string[] };
  /** Requests per minute per client address on the browser and Meta routes; 0 turns it off. */
  rateLimit: { publicPerMinute: number };
  /** Unset when WEBHOOK_URL is. */
  webhook?: WebhookConfig;
  /** Reveal audit rows and finished deletion requests older than this are pruned. */
  audit: { retentionDays: number };
  log: { level: LogLevel };
  sandbox: boolean;
}
