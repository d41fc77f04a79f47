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

/** The whole validated configuration; built once at boot by parseEnv(). */
export interface AppConfig {
  http: { port: number; host: string };
  database: { url: string; migrateOnStart: boolean };
  instagram: InstagramConfig;
  vault: { encryptionKeys: EncryptionKeyConfig[] };
  apiKeys: ApiKeyConfig[];
  auth: { returnToOrigins: string[] };
  log: { level: LogLevel };
  sandbox: boolean;
}
