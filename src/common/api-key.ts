import { hash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyConfig, ApiScope } from '../config/app-config.js';

export interface AuthenticatedKey {
  name: string;
  scopes: ReadonlySet<ApiScope>;
}

/**
 * Finds the key a bearer secret belongs to. Every configured key is compared, each in
 * constant time over fixed-length digests, so timing tells nothing about any secret.
 */
export class ApiKeyMatcher {
  private readonly keys: { digest: Buffer; key: AuthenticatedKey }[];

  constructor(keys: ApiKeyConfig[]) {
    this.keys = keys.map((key) => ({
      digest: digest(key.secret),
      key: { name: key.name, scopes: key.scopes },
    }));
  }

  match(secret: string): AuthenticatedKey | undefined {
    const presented = digest(secret);
    let found: AuthenticatedKey | undefined;
    for (const candidate of this.keys) {
      if (timingSafeEqual(candidate.digest, presented)) {
        found = candidate.key;
      }
    }
    return found;
  }
}

function digest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}

/** Reads the secret of an `Authorization: Bearer <secret>` header. */
export function bearerSecret(header: string | undefined): string | undefined {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
