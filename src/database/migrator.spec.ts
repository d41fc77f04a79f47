import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  createEmptyDatabase,
  type TestDatabase,
  withAdmin,
} from '../../test/support/test-database.js';
import { listMigrationNames, migrationsDir as projectMigrationsDir } from './migration-files.js';
import { type MigrationStatus, migrationStatus, readMigrationRows } from './migration-status.js';
import { MigrationError, Migrator } from './migrator.js';

const migrationsDir = projectMigrationsDir();

describe('Migrator', () => {
  let db: TestDatabase;
  let scratch: string;

  beforeEach(async () => {
    db = await createEmptyDatabase();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'migrations-'));
  });

  afterEach(async () => {
    await db.drop();
    await rm(scratch, { recursive: true, force: true });
  });

  const query = <T extends pg.QueryResultRow>(sql: string, values: unknown[] = []) =>
    withAdmin(db.url, async (client) => (await client.query<T>(sql, values)).rows);
  const tables = async () =>
    (
      await query<{ relname: string }>(
        `SELECT relname FROM pg_class
         WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`,
      )
    )
      .map((row) => row.relname)
      .sort();
  const migrationRows = () =>
    query<{ migration_name: string; finished_at: Date | null; logs: string | null }>(
      'SELECT * FROM _prisma_migrations ORDER BY started_at',
    );
  const writeMigration = async (name: string, sql: string) => {
    await mkdir(path.join(scratch, name), { recursive: true });
    await writeFile(path.join(scratch, name, 'migration.sql'), sql);
  };
  const migrator = (dir = scratch) => new Migrator({ databaseUrl: db.url, migrationsDir: dir });
  /** What readiness reports: the shipped migrations against the database's history. */
  const status = async (dir = scratch): Promise<MigrationStatus> =>
    migrationStatus(
      listMigrationNames(dir),
      await readMigrationRows(<T>(sql: string) => query(sql) as Promise<T[]>),
    );

  it('finds prisma/migrations at the project root', () => {
    expect(migrationsDir).toBe(path.resolve(process.cwd(), 'prisma', 'migrations'));
    expect(existsSync(path.join(migrationsDir, 'migration_lock.toml'))).toBe(true);
  });

  it("applies the repository's migrations into an empty database, then nothing", async () => {
    const names = (await readdir(migrationsDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();

    await expect(migrator(migrationsDir).migrate()).resolves.toEqual({ applied: names });
    expect(await tables()).toEqual(
      expect.arrayContaining(['_prisma_migrations', 'connections', 'oauth_states']),
    );
    await expect(migrator(migrationsDir).migrate()).resolves.toEqual({ applied: [] });
    expect(await migrationRows()).toHaveLength(names.length);
  });

  it("records each migration exactly as Prisma's schema engine does", async () => {
    await migrator(migrationsDir).migrate();

    const columns = await query<{ column_name: string; data_type: string; is_nullable: string }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns.map((c) => [c.column_name, c.data_type, c.is_nullable])).toEqual([
      ['id', 'character varying', 'NO'],
      ['checksum', 'character varying', 'NO'],
      ['finished_at', 'timestamp with time zone', 'YES'],
      ['migration_name', 'character varying', 'NO'],
      ['logs', 'text', 'YES'],
      ['rolled_back_at', 'timestamp with time zone', 'YES'],
      ['started_at', 'timestamp with time zone', 'NO'],
      ['applied_steps_count', 'integer', 'NO'],
    ]);
    const rows = await query<{
      id: string;
      checksum: string;
      migration_name: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      started_at: Date;
      logs: string | null;
      applied_steps_count: number;
    }>('SELECT * FROM _prisma_migrations');
    for (const row of rows) {
      const sql = await readFile(path.join(migrationsDir, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row).toMatchObject({ rolled_back_at: null, logs: null, applied_steps_count: 1 });
    }
  });

  it('applies each migration once when two migrators race (advisory lock)', async () => {
    const results = await Promise.all([
      migrator(migrationsDir).migrate(),
      migrator(migrationsDir).migrate(),
    ]);

    const applied = results.flatMap((result) => result.applied);
    const names = (await migrationRows()).map((row) => row.migration_name);
    expect(applied.sort()).toEqual([...names].sort());
    expect(new Set(names).size).toBe(names.length);
  });

  it("waits while another session holds Prisma's migration lock", async () => {
    await writeMigration('1_a', 'CREATE TABLE a (id int);');
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(72707369)');
      const run = migrator().migrate();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await tables()).toEqual([]);

      await holder.query('SELECT pg_advisory_unlock(72707369)');
      await expect(run).resolves.toEqual({ applied: ['1_a'] });
    } finally {
      await holder.end();
    }
  });

  it('rolls back a failing migration, records it, and then refuses as Prisma does', async () => {
    await writeMigration('1_good', 'CREATE TABLE good (id int);');
    await writeMigration('2_bad', 'CREATE TABLE half (id int);\nSELECT * FROM no_such_table;');
    await writeMigration('3_later', 'CREATE TABLE later (id int);');

    const failure = await migrator()
      .migrate()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toContain('2_bad');
    expect(await tables()).toEqual(['_prisma_migrations', 'good']);
    const rows = await migrationRows();
    expect(rows.map((row) => [row.migration_name, row.finished_at === null])).toEqual([
      ['1_good', false],
      ['2_bad', true],
    ]);
    expect(rows[1]?.logs).toMatch(/42P01[\s\S]*no_such_table/);

    await writeMigration('2_bad', 'CREATE TABLE half (id int);');
    await expect(migrator().migrate()).rejects.toThrow(/failed migrations[\s\S]*2_bad/);
    expect(await tables()).toEqual(['_prisma_migrations', 'good']);
    await expect(status()).resolves.toEqual({
      applied: ['1_good'],
      pending: ['2_bad', '3_later'],
      failed: ['2_bad'],
    });

    // What `prisma migrate resolve --rolled-back 2_bad` writes.
    await query(
      `UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '2_bad'`,
    );
    await expect(migrator().migrate()).resolves.toEqual({ applied: ['2_bad', '3_later'] });
  });

  it('refuses an applied migration that was edited, but accepts CRLF line endings', async () => {
    await writeMigration('1_a', 'CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n');
    await migrator().migrate();
    await writeMigration('1_a', 'CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n');
    await expect(migrator().migrate()).resolves.toEqual({ applied: [] });

    await writeMigration('2_next', 'CREATE TABLE c (id int);');
    await writeMigration('1_a', 'CREATE TABLE a (id bigint);\nCREATE TABLE b (id int);\n');
    const failure = await migrator()
      .migrate()
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect((failure as Error).message).toMatch(/1_a.*modified after/);
    expect(await tables()).not.toContain('c');

    await writeMigration('1_a', 'CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n');
    await expect(migrator().migrate()).resolves.toEqual({ applied: ['2_next'] });
  });

  it('lists applied and pending migrations without writing', async () => {
    await writeMigration('1_a', 'CREATE TABLE a (id int);');
    await writeMigration('2_b', 'CREATE TABLE b (id int);');
    await writeFile(path.join(scratch, 'migration_lock.toml'), 'provider = "postgresql"\n');

    await expect(status()).resolves.toEqual({
      applied: [],
      pending: ['1_a', '2_b'],
      failed: [],
    });
    expect(await tables()).toEqual([]);

    await migrator().migrate();
    await writeMigration('3_c', 'CREATE TABLE c (id int);');
    await expect(status()).resolves.toEqual({
      applied: ['1_a', '2_b'],
      pending: ['3_c'],
      failed: [],
    });
  });

  it('refuses a database that already has tables but no migration history (P3005)', async () => {
    await query('CREATE TABLE legacy (id int)');
    await writeMigration('1_a', 'CREATE TABLE a (id int);');

    await expect(migrator().migrate()).rejects.toThrow(/not empty/);
    expect(await tables()).toEqual(['legacy']);
  });

  it('refuses a migrations folder locked to another provider', async () => {
    await writeMigration('1_a', 'CREATE TABLE a (id int);');
    await writeFile(path.join(scratch, 'migration_lock.toml'), 'provider = "mysql"\n');

    await expect(migrator().migrate()).rejects.toThrow(/mysql/);
    expect(await tables()).toEqual([]);
  });
});
