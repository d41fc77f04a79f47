import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { EmbeddedPostgresHandle } from '../../src/database/embedded-postgres.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** What global setup leaves for global teardown (same process, so on globalThis). */
export interface TestServerState {
  embedded?: EmbeddedPostgresHandle;
  tempDir?: string;
}

export const ADMIN_URL_ENV = 'VAULT_TEST_ADMIN_URL';
export const TEMPLATE_DB_ENV = 'VAULT_TEST_TEMPLATE_DB';

export function testServerState(): TestServerState {
  const holder = globalThis as typeof globalThis & { vaultTestServer?: TestServerState };
  return (holder.vaultTestServer ??= {});
}

/** A database copied from the migrated template; each spec file makes its own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl, template } = settings();
  const name = `${template}_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, async (client) => {
    // Copying fails with 55006 while any session is connected to the template; global setup
    // forbids connections to it, so this only covers a backend still exiting.
    const create = `CREATE DATABASE ${client.escapeIdentifier(name)}
                    TEMPLATE ${client.escapeIdentifier(template)}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(create);
        return;
      } catch (error) {
        if (attempt >= 20 || (error as { code?: string }).code !== '55006') {
          throw error;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  });
  return handle(adminUrl, name);
}

/** An empty database (no migrations), named so global teardown drops it too. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const { adminUrl, template } = settings();
  const name = `${template}_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) =>
    client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`),
  );
  return handle(adminUrl, name);
}

/** Every database named after the template, the template included. */
export async function dropRunDatabases(adminUrl: string, template: string): Promise<string[]> {
  return withAdmin(adminUrl, async (client) => {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $1 || '_')`,
      [template],
    );
    for (const { datname } of rows) {
      await dropDatabase(client, datname);
    }
    return rows.map((row) => row.datname);
  });
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export async function withAdmin<T>(
  adminUrl: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function dropDatabase(client: pg.Client, name: string): Promise<void> {
  const id = client.escapeIdentifier(name);
  const { rows } = await client.query<{ v: string }>('SHOW server_version_num');
  if (Number(rows[0]?.v) >= 130000) {
    await client.query(`DROP DATABASE IF EXISTS ${id} WITH (FORCE)`);
    return;
  }
  await client.query(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
     WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [name],
  );
  await client.query(`DROP DATABASE IF EXISTS ${id}`);
}

function handle(adminUrl: string, name: string): TestDatabase {
  let dropped: Promise<void> | undefined;
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => (dropped ??= withAdmin(adminUrl, (client) => dropDatabase(client, name))),
  };
}

function settings(): { adminUrl: string; template: string } {
  const adminUrl = process.env[ADMIN_URL_ENV];
  const template = process.env[TEMPLATE_DB_ENV];
  if (!adminUrl || !template) {
    throw new Error(
      `${ADMIN_URL_ENV} and ${TEMPLATE_DB_ENV} are unset: jest's global setup sets them`,
    );
  }
  return { adminUrl, template };
}
