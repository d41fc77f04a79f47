import pg from 'pg';
import {
  ADMIN_URL_ENV,
  createTestDatabase,
  type TestDatabase,
  withAdmin,
} from './test-database.js';

describe('createTestDatabase', () => {
  const made: TestDatabase[] = [];

  afterAll(async () => {
    await Promise.all(made.map((db) => db.drop()));
  });

  it('gives each caller its own migrated database', async () => {
    const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    made.push(first, second);
    expect(first.url).not.toBe(second.url);

    const insert = `INSERT INTO connections (ig_user_id, token_kind, updated_at)
                    VALUES ($1, 'long_lived', now())`;
    const ids = (url: string) =>
      withAdmin(url, async (client) =>
        (await client.query<{ ig_user_id: string }>('SELECT ig_user_id FROM connections')).rows.map(
          (row) => row.ig_user_id,
        ),
      );
    await withAdmin(first.url, (client) => client.query(insert, ['1']));
    await withAdmin(second.url, (client) => client.query(insert, ['2']));

    expect(await ids(first.url)).toEqual(['1']);
    expect(await ids(second.url)).toEqual(['2']);
    const applied = (url: string) =>
      withAdmin(url, async (client) => {
        return (await client.query('SELECT 1 FROM _prisma_migrations')).rowCount;
      });
    expect(await applied(first.url)).toBeGreaterThan(0);
  });

  it('drops the database, even with a session still connected', async () => {
    const db = await createTestDatabase();
    const open = new pg.Client({ connectionString: db.url });
    open.on('error', () => undefined);
    await open.connect();

    await db.drop();
    await db.drop();

    const name = new URL(db.url).pathname.slice(1);
    const left = await withAdmin(
      process.env[ADMIN_URL_ENV]!,
      async (client) =>
        (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount,
    );
    expect(left).toBe(0);
    await open.end().catch(() => undefined);
  });
});
