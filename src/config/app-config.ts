export const API_SCOPES = ['tokens.read', 'tokens.write', 'tokens.reveal', 'users.read'] as const;
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
    /** Set: /metrics is served only on this port (a listener of its own), 404 on `port`. */
    metricsPort?: number;
  };
  database: { url: string; migrateOnStart: boolean };
  instagram: InstagramConfig;
  vault: { encryptionKeys: EncryptionKeyConfig[] };
  apiKeys: ApiKeyConfig[];
  auth: { returnToOrigins: string[] };
  refresh: RefreshConfig;
  /** Requests per minute per client address on the browser and Meta routes; 0 turns it off. */
  rateLimit: { publicPerMinute: number };
  /** Unset when WEBHOOK_URL is. */
  webhook?: WebhookConfig;
  log: { level: LogLevel };
  sandbox: boolean;
}
