import { Injectable } from '@nestjs/common';
import { DatabasePool, type PreparedStatement } from '../database/database-pool.js';
import type {
  ConnectionRecord,
  ConnectionStatus,
  ConnectionWithToken,
  TokenKind,
} from './connection.record.js';

/**
 * The hot reads (one connection by id, with or without its sealed token) as hand-written SQL on
 * the service's pool: every caller's read of a token or profile starts here, and Prisma's generic
 * query pipeline cost several times the query itself. It reads what CONNECTION_SELECT and
 * WITH_TOKEN_SELECT read; Prisma stays the schema and every write. Reads only. Both are named
 * statements (DatabasePool.prepared): planning them on every read took about 40% of
 * PostgreSQL's CPU per hot read.
 */
@Injectable()
export class ConnectionReadsRepository {
  constructor(private readonly database: DatabasePool) {}

  async find(igUserId: string): Promise<ConnectionRecord | null> {
    const { rows } = await this.database.prepared<ConnectionRow>(FIND, [igUserId]);
    return rows.length === 0 ? null : toConnectionRecord(rows[0]);
  }

  async findWithToken(igUserId: string): Promise<ConnectionWithToken | null> {
    const { rows } = await this.database.prepared<ConnectionWithTokenRow>(FIND_WITH_TOKEN, [
      igUserId,
    ]);
    if (rows.length === 0) {
      return null;
    }
    return toConnectionWithToken(rows[0]);
  }
}

/** The columns a ConnectionRecord is read from (toConnectionRecord), as SQL. */
export const CONNECTION_COLUMNS = [
  'ig_user_id',
  'app_scoped_id',
  'professional_id',
  'owner_id',
  'username',
  'scopes',
  'token_kind',
  'status',
  'token_issued_at',
  'expires_at',
  'last_refreshed_at',
  'refresh_attempts',
  'next_refresh_at',
  'last_refresh_error',
  'last_refresh_error_at',
  'created_at',
  'updated_at',
] as const;
/** The columns a ConnectionWithToken is read from (toConnectionWithToken), as SQL. */
export const CONNECTION_WITH_TOKEN_COLUMNS = [
  ...CONNECTION_COLUMNS,
  'token_ciphertext',
  'token_key_id',
] as const;
const COLUMNS = CONNECTION_COLUMNS.join(', ');
const FIND: PreparedStatement = {
  name: 'vault_find_connection',
  text: `SELECT ${COLUMNS} FROM connections WHERE ig_user_id = $1`,
};
const FIND_WITH_TOKEN: PreparedStatement = {
  name: 'vault_find_connection_with_token',
  text: `SELECT ${CONNECTION_WITH_TOKEN_COLUMNS.join(', ')} FROM connections WHERE ig_user_id = $1`,
};

export interface ConnectionRow {
  ig_user_id: string;
  app_scoped_id: string | null;
  professional_id: string | null;
  owner_id: string | null;
  username: string | null;
  scopes: string[] | null;
  token_kind: TokenKind;
  status: ConnectionStatus;
  token_issued_at: Date | null;
  expires_at: Date | null;
  last_refreshed_at: Date | null;
  refresh_attempts: number;
  next_refresh_at: Date | null;
  last_refresh_error: string | null;
  last_refresh_error_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ConnectionWithTokenRow extends ConnectionRow {
  token_ciphertext: Buffer | null;
  token_key_id: string | null;
}

export function toConnectionRecord(row: ConnectionRow): ConnectionRecord {
  return {
    igUserId: row.ig_user_id,
    appScopedId: row.app_scoped_id,
    professionalId: row.professional_id,
    ownerId: row.owner_id,
    username: row.username,
    // The column allows NULL (a Prisma list is never optional): read as no scopes.
    scopes: row.scopes ?? [],
    tokenKind: row.token_kind,
    status: row.status,
    tokenIssuedAt: row.token_issued_at,
    expiresAt: row.expires_at,
    lastRefreshedAt: row.last_refreshed_at,
    refreshAttempts: row.refresh_attempts,
    nextRefreshAt: row.next_refresh_at,
    lastRefreshError: row.last_refresh_error,
    lastRefreshErrorAt: row.last_refresh_error_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toConnectionWithToken(row: ConnectionWithTokenRow): ConnectionWithToken {
  return {
    ...toConnectionRecord(row),
    tokenCiphertext: row.token_ciphertext,
    tokenKeyId: row.token_key_id,
  };
}
