/** A row of _prisma_migrations, as Prisma's schema engine (and our migrator) writes it. */
export interface MigrationRow {
  id: string;
  checksum: string;
  migration_name: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
  logs: string | null;
}

export interface MigrationStatus {
  applied: string[];
  /** Not applied yet; includes failed ones. */
  pending: string[];
  /** Started but neither finished nor rolled back: deploys refuse until resolved. */
  failed: string[];
}

/** Runs one SQL text without parameters and answers its rows: a pg client, or Prisma. */
export type RunQuery = <T>(sql: string) => Promise<T[]>;

export async function hasMigrationsTable(run: RunQuery): Promise<boolean> {
  const [row] = await run<{ found: boolean }>(
    `SELECT to_regclass('_prisma_migrations') IS NOT NULL AS found`,
  );
  return row?.found ?? false;
}

/** The migration history, oldest first; empty when the database has none yet. */
export async function readMigrationRows(run: RunQuery): Promise<MigrationRow[]> {
  if (!(await hasMigrationsTable(run))) {
    return [];
  }
  return run<MigrationRow>(
    `SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at, logs
     FROM _prisma_migrations ORDER BY started_at`,
  );
}

/** Which of the shipped migrations the history shows applied, pending or failed. */
export function migrationStatus(shipped: string[], rows: MigrationRow[]): MigrationStatus {
  const applied = new Set(
    live(rows)
      .filter((row) => row.finished_at !== null)
      .map((row) => row.migration_name),
  );
  return {
    applied: [...applied].sort(),
    pending: shipped.filter((name) => !applied.has(name)),
    failed: failedRows(rows).map((row) => row.migration_name),
  };
}

/** Rows Prisma counts: a migration marked rolled back is ignored and applied again. */
export function live(rows: MigrationRow[]): MigrationRow[] {
  return rows.filter((row) => row.rolled_back_at === null);
}

export function failedRows(rows: MigrationRow[]): MigrationRow[] {
  return live(rows).filter((row) => row.finished_at === null);
}
