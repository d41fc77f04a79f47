import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DatabasePool } from '../database/database-pool.js';
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
 * WITH_TOKEN_SELECT read; Prisma stays the schema and every write. Reads only.
 */
@Injectable()
export class ConnectionReadsRepository {
  constructor(private readonly database: DatabasePool) {}

  async find(igUserId: string): Promise<ConnectionRecord | null> {
    const rows = await this.read<ConnectionRow>(FIND, igUserId);
    return rows.length === 0 ? null : toConnectionRecord(rows[0]);
  }

  async findWithToken(igUserId: string): Promise<ConnectionWithToken | null> {
    const rows = await this.read<ConnectionWithTokenRow>(FIND_WITH_TOKEN, igUserId);
    if (rows.length === 0) {
      return null;
    }
    return toConnectionWithToken(rows[0]);
  }

  /**
   * As a named statement: each connection parses and plans it once, which took about 40% of
   * PostgreSQL's CPU per hot read. A prepared plan does not survive a migration that changes the
   * type of a column it returns; that read runs once more unprepared (the pool has already ended
   * the connection that failed), so a schema change under a running replica fails no request.
   */
  private async read<Row extends pg.QueryResultRow>(
    statement: PreparedRead,
    igUserId: string,
  ): Promise<Row[]> {
    try {
      return (await this.database.pool.query<Row>({ ...statement, values: [igUserId] })).rows;
    } catch (error) {
      if (!isStalePreparedPlan(error)) {
        throw error;
      }
      return (await this.database.pool.query<Row>(statement.text, [igUserId])).rows;
    }
  }
}

interface PreparedRead {
  name: string;
  text: string;
}

/** PostgreSQL's "cached plan must not change result type" (feature_not_supported). */
function isStalePreparedPlan(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === '0A000' &&
    /cached plan/i.test(error.message)
  );
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
const FIND: PreparedRead = {
  name: 'vault_find_connection',
  text: `SELECT ${COLUMNS} FROM connections WHERE ig_user_id = $1`,
};
const FIND_WITH_TOKEN: PreparedRead = {
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
