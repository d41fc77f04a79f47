import { isInstagramId } from '../common/instagram-id.js';
import { type ConnectionRecord, ConnectionStatus } from './connection.record.js';
import type { ConnectionDto } from './dto/connection.dto.js';
import { effectiveStatus } from './refresh-policy.js';

/** The connection as callers see it at `now`: its effective status, never a token. */
export function toConnectionDto(connection: ConnectionRecord, now = new Date()): ConnectionDto {
  const status = effectiveStatus(connection, now);
  return {
    igUserId: connection.igUserId,
    ownerId: connection.ownerId,
    username: connection.username,
    scopes: connection.scopes,
    tokenKind: connection.tokenKind,
    status,
    expiresAt: connection.expiresAt?.toISOString() ?? null,
    lastRefreshedAt: connection.lastRefreshedAt?.toISOString() ?? null,
    nextRefreshAt:
      status === ConnectionStatus.active ? (connection.nextRefreshAt?.toISOString() ?? null) : null,
    refreshAttempts: connection.refreshAttempts,
    lastRefreshError: connection.lastRefreshError,
    lastRefreshErrorAt: connection.lastRefreshErrorAt?.toISOString() ?? null,
    createdAt: connection.createdAt.toISOString(),
    updatedAt: connection.updatedAt.toISOString(),
  };
}

/** Cursors are opaque to callers: the last id of a page, base64url-encoded. */
export function encodeCursor(igUserId: string): string {
  return Buffer.from(igUserId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  const igUserId = Buffer.from(cursor, 'base64url').toString('utf8');
  return isInstagramId(igUserId) ? igUserId : undefined;
}
