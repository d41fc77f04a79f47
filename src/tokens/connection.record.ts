import type { ConnectionStatus, TokenKind } from '../generated/prisma/enums.js';

export { ConnectionStatus, TokenKind } from '../generated/prisma/enums.js';

/** A connection as the service sees it: everything but the token material. */
export interface ConnectionRecord {
  igUserId: string;
  appScopedId: string | null;
  professionalId: string | null;
  ownerId: string | null;
  username: string | null;
  scopes: string[];
  tokenKind: TokenKind;
  status: ConnectionStatus;
  tokenIssuedAt: Date | null;
  expiresAt: Date | null;
  lastRefreshedAt: Date | null;
  refreshAttempts: number;
  nextRefreshAt: Date | null;
  lastRefreshError: string | null;
  lastRefreshErrorAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ConnectionWithToken extends ConnectionRecord {
  tokenCiphertext: Uint8Array | null;
  tokenKeyId: string | null;
}

/** A token ready to be stored: sealed already, with what Instagram said about its life. */
export interface StoredToken {
  kind: TokenKind;
  keyId: string;
  ciphertext: Buffer;
  issuedAt: Date;
  expiresAt: Date;
}

/** A token to store with the time its first refresh is due (RefreshPolicy.schedule). */
export interface ScheduledToken extends StoredToken {
  nextRefreshAt: Date;
}
