import { ConnectionStatus, type Prisma } from '../generated/prisma/client.js';
import type { ScheduledToken } from './connection.record.js';

/** Everything but the token material: what leaves the repositories unless asked for. */
export const CONNECTION_SELECT = {
  igUserId: true,
  appScopedId: true,
  professionalId: true,
  ownerId: true,
  username: true,
  scopes: true,
  tokenKind: true,
  status: true,
  tokenIssuedAt: true,
  expiresAt: true,
  lastRefreshedAt: true,
  refreshAttempts: true,
  nextRefreshAt: true,
  lastRefreshError: true,
  lastRefreshErrorAt: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.ConnectionSelect;

export const WITH_TOKEN_SELECT = {
  ...CONNECTION_SELECT,
  tokenCiphertext: true,
  tokenKeyId: true,
} satisfies Prisma.ConnectionSelect;

/** A new token clears what the last one went through: failures, back-off and lease. */
export const NO_REFRESH_HISTORY = {
  refreshAttempts: 0,
  lastRefreshError: null,
  lastRefreshErrorAt: null,
  leaseOwner: null,
  leaseExpiresAt: null,
};

export function tokenColumns(token: ScheduledToken) {
  return {
    tokenKind: token.kind,
    tokenCiphertext: new Uint8Array(token.ciphertext),
    tokenKeyId: token.keyId,
    tokenIssuedAt: token.issuedAt,
    expiresAt: token.expiresAt,
    nextRefreshAt: token.nextRefreshAt,
  };
}

/** Meta names an account by any of its three ids. */
export function matchingAnyId(anyId: string): Prisma.ConnectionWhereInput {
  return { OR: [{ igUserId: anyId }, { appScopedId: anyId }, { professionalId: anyId }] };
}

/** Active rows whose token has run out: expired in effect (refresh-policy's hasLapsed). */
export function lapsedWhere(now: Date): Prisma.ConnectionWhereInput {
  return { status: ConnectionStatus.active, expiresAt: { lte: now } };
}

/** The SQL form of refresh-policy's effectiveStatus, for filtering a list by status. */
export function effectiveStatusWhere(
  status: ConnectionStatus | undefined,
  now: Date,
): Prisma.ConnectionWhereInput {
  switch (status) {
    case undefined:
      return {};
    case ConnectionStatus.active:
      return { status, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] };
    case ConnectionStatus.expired:
      return { OR: [{ status }, lapsedWhere(now)] };
    default:
      return { status };
  }
}
