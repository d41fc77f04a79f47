import type { TestApp } from './test-app.js';

/**
 * What a test does to, or reads from, its whole database (never another): failures it makes
 * happen, each undone when `work` ends, and a dump of everything stored.
 */

/** The database refuses every write of a connection row (a constraint no row can meet). */
export function withConnectionWritesRefused(
  test: TestApp,
  work: () => Promise<void>,
): Promise<void> {
  return whileChanged(
    test,
    'ALTER TABLE connections ADD CONSTRAINT refuse_writes CHECK (false) NOT VALID',
    'ALTER TABLE connections DROP CONSTRAINT refuse_writes',
    work,
  );
}

/** Reading connections fails: the table is not there. */
export function withoutConnectionsTable(test: TestApp, work: () => Promise<void>): Promise<void> {
  return whileChanged(
    test,
    'ALTER TABLE connections RENAME TO connections_away',
    'ALTER TABLE connections_away RENAME TO connections',
    work,
  );
}

async function whileChanged(
  test: TestApp,
  change: string,
  undo: string,
  work: () => Promise<void>,
): Promise<void> {
  await test.sql(change);
  try {
    await work();
  } finally {
    await test.sql(undo);
  }
}

/** The newest migration shipped with the build reads as not applied; `work` gets its name. */
export async function withNewestMigrationUnfinished(
  test: TestApp,
  work: (migrationName: string) => Promise<void>,
): Promise<void> {
  const [row] = await test.sql<{ migration_name: string }>(
    'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1',
  );
  await test.sql('UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = $1', [
    row.migration_name,
  ]);
  try {
    await work(row.migration_name);
  } finally {
    await test.sql('UPDATE _prisma_migrations SET finished_at = now() WHERE migration_name = $1', [
      row.migration_name,
    ]);
  }
}

/** Every value in every table, as one text to search for secrets. */
export async function everythingStored(test: TestApp): Promise<string> {
  const tables = await test.sql<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const rows = await test.sql(`SELECT * FROM "${table_name}"`);
    for (const row of rows) {
      for (const value of Object.values(row)) {
        parts.push(
          Buffer.isBuffer(value)
            ? `${value.toString('latin1')} ${value.toString('hex')}`
            : JSON.stringify(value),
        );
      }
    }
  }
  return parts.join('\n');
}
