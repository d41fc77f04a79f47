import type { AppConfig } from './config/app-config.js';
import { parseEnv } from './config/env.schema.js';

/** A config that builds the app without reaching anything: for generating the OpenAPI document. */
export function openApiPlaceholderConfig(): AppConfig {
  return parseEnv({
    INSTAGRAM_APP_ID: '1',
    INSTAGRAM_APP_SECRET: 'placeholder',
    INSTAGRAM_REDIRECT_URI: 'https://vault.invalid/auth/instagram/callback',
    DATABASE_URL: 'postgresql://placeholder.invalid/vault',
    TOKEN_ENCRYPTION_KEYS: `placeholder:${Buffer.alloc(32).toString('base64')}`,
    API_KEYS: 'placeholder:placeholder-secret-0000:*',
    LOG_LEVEL: 'silent',
  });
}
