import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { listMigrationNames } from './migration-files.js';
import {
  failedRows,
  hasMigrationsTable,
  live,
  type MigrationRow,
  readMigrationRows,
  type RunQuery,
} from './migration-status.js';

// The lock id, table DDL, row bookkeeping and refusals follow Prisma's schema engine
// (sql-schema-connector postgres flavour, apply_migrations.rs), so that `prisma migrate deploy`
// and `prisma migrate status` agree with this migrator and serialize against it.
const PRISMA_LOCK_ID = 72707369;
const LOCK_TIMEOUT = '10s';
const CREATE_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigratorOptions {
  databaseUrl: string;
  migrationsDir: string;
  log?: (line: string) => void;
}

interface MigrationFile {
  name: string;
  sql: string;
  checksums: string[];
}

export class Migrator {
  private readonly log: (line: string) => void;

  constructor(private readonly options: MigratorOptions) {
    this.log = options.log ?? (() => undefined);
  }

  async migrate(): Promise<{ applied: string[] }> {
    const migrations = await this.readMigrations();
    return this.withClient(async (client) => {
      await this.lock(client);
      try {
        await this.initialize(client);
        const rows = await readMigrationRows(runOn(client));
        assertNoFailedMigrations(rows);
        assertUnedited(migrations, rows);
        const done = new Set(live(rows).map((row) => row.migration_name));
        const applied: string[] = [];
        for (const migration of migrations.filter((m) => !done.has(m.name))) {
          await this.apply(client, migration);
          applied.push(migration.name);
        }
        this.log(`${applied.length} migration(s) applied, ${done.size} already applied`);
        return { applied };
      } finally {
        await client
          .query('SELECT pg_advisory_unlock($1)', [PRISMA_LOCK_ID])
          .catch(() => undefined);
      }
    });
  }

  private async withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl });
    // Without a listener a dropped connection would crash the process instead of failing the run.
    client.on('error', () => undefined);
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async lock(client: pg.Client): Promise<void> {
    // Prisma gives up after 10 s with P1002; lock_timeout does the same server-side.
    await client.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
    try {
      await client.query('SELECT pg_advisory_lock($1)', [PRISMA_LOCK_ID]);
    } catch (error) {
      if (pgCode(error) !== '55P03') {
        throw error;
      }
      throw new MigrationError(
        `Timed out after ${LOCK_TIMEOUT} waiting for the migration lock ` +
          `(pg_advisory_lock(${PRISMA_LOCK_ID})) held by another migrator`,
      );
    } finally {
      await client.query('RESET lock_timeout');
    }
  }

  private async initialize(client: pg.Client): Promise<void> {
    if (await hasMigrationsTable(runOn(client))) {
      return;
    }
    const { rows } = await client.query<{ relname: string }>(
      `SELECT relname FROM pg_class
       WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace
         AND relname <> 'spatial_ref_sys'`,
    );
    if (rows.length > 0) {
      throw new MigrationError(
        'The database schema is not empty and has no _prisma_migrations table (Prisma P3005): ' +
          'baseline it with `prisma migrate resolve --applied` before migrating',
      );
    }
    await client.query(CREATE_TABLE);
  }

  private async apply(client: pg.Client, migration: MigrationFile): Promise<void> {
    this.log(`Applying migration ${migration.name}`);
    const id = randomUUID();
    await client.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at)
       VALUES ($1, $2, $3, now())`,
      [id, migration.checksums[0], migration.name],
    );
    try {
      await client.query('BEGIN');
      // No parameters: pg uses the simple protocol, which runs a multi-statement script.
      await client.query(migration.sql);
      // Finishing inside the script's transaction: a crash can't leave applied SQL marked failed.
      await client.query(
        `UPDATE _prisma_migrations
         SET finished_at = clock_timestamp(), applied_steps_count = applied_steps_count + 1
         WHERE id = $1`,
        [id],
      );
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      const logs = describeDatabaseError(error);
      // As Prisma does, the row stays unfinished: later runs refuse until it is resolved.
      await client.query('UPDATE _prisma_migrations SET logs = $2 WHERE id = $1', [id, logs]);
      throw new MigrationError(
        `Migration ${migration.name} failed and was rolled back; later runs refuse until it is ` +
          `resolved (prisma migrate resolve --rolled-back ${migration.name}). ${logs}`,
        { cause: error },
      );
    }
  }

  private async readMigrations(): Promise<MigrationFile[]> {
    const dir = this.options.migrationsDir;
    const lockFile = path.join(dir, 'migration_lock.toml');
    if (existsSync(lockFile)) {
      const provider = /provider\s*=\s*"([^"]*)"/.exec(await readFile(lockFile, 'utf8'))?.[1];
      if (provider !== undefined && provider !== 'postgresql') {
        throw new MigrationError(
          `${lockFile} names provider "${provider}", not postgresql (P3019)`,
        );
      }
    }
    return Promise.all(
      listMigrationNames(dir).map(async (name) => {
        const file = path.join(dir, name, 'migration.sql');
        if (!existsSync(file)) {
          throw new MigrationError(`Migration ${name} has no migration.sql`);
        }
        const sql = await readFile(file, 'utf8');
        return { name, sql, checksums: checksums(sql) };
      }),
    );
  }
}

function assertNoFailedMigrations(rows: MigrationRow[]): void {
  const failed = failedRows(rows);
  if (failed.length === 0) {
    return;
  }
  const details = failed
    .map((row) => {
      return `${row.migration_name} (started ${row.started_at.toISOString()}): ${row.logs ?? ''}`;
    })
    .join('; ');
  throw new MigrationError(
    `Found failed migrations in the target database; new migrations will not be applied ` +
      `(Prisma P3009). Resolve with prisma migrate resolve. ${details}`,
  );
}

function assertUnedited(migrations: MigrationFile[], rows: MigrationRow[]): void {
  const edited = migrations
    .filter((m) =>
      live(rows).some((r) => r.migration_name === m.name && !m.checksums.includes(r.checksum)),
    )
    .map((m) => m.name);
  if (edited.length > 0) {
    throw new MigrationError(
      `Migration(s) ${edited.join(', ')} were modified after they were applied (checksum ` +
        'mismatch); restore the applied migration.sql and put changes in a new migration',
    );
  }
}

/** sha256 hex of the file; Prisma also accepts the script with CRLF and LF swapped (git). */
function checksums(sql: string): string[] {
  const hash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  return [hash(sql), hash(sql.replaceAll('\r\n', '\n')), hash(sql.replaceAll('\n', '\r\n'))];
}

function runOn(client: pg.Client): RunQuery {
  return async <T>(sql: string) => (await client.query(sql)).rows as T[];
}

function pgCode(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}

function describeDatabaseError(error: unknown): string {
  if (error instanceof pg.DatabaseError) {
    const position = error.position ? ` (at character ${error.position})` : '';
    return `Database error code: ${error.code}\n\nDatabase error:\n${error.message}${position}`;
  }
  return error instanceof Error ? error.message : String(error);
}
