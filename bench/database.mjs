// The bench's database: a throwaway database on DATABASE_URL's server (created and dropped by
// the bench, never the one named), or an embedded PostgreSQL in a temporary folder. Seeds
// connections directly as sealed rows, with the emulator accounts and tokens they stand for.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../dist/database/embedded-postgres.js';
import { migrationsDir } from '../dist/database/migration-files.js';
import { Migrator } from '../dist/database/migrator.js';
import { TokenCipher } from '../dist/tokens/token-cipher.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const SCOPES = ['instagram_business_basic'];
const BATCH = 5000;

/** A migrated, empty database for this run; `close()` drops or stops it. */
export async function openBenchDatabase(tempDir) {
  let url;
  let close;
  if (process.env.DATABASE_URL) {
    const name = `vault_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const target = new URL(process.env.DATABASE_URL);
    target.pathname = `/${name}`;
    url = target.toString();
    close = async () => {
      const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  } else {
    const embedded = await startEmbeddedPostgres({ dataDir: join(tempDir, 'postgres') });
    url = embedded.url;
    close = () => embedded.stop();
  }
  await new Migrator({
    databaseUrl: url,
    migrationsDir: migrationsDir(),
    log: () => undefined,
  }).migrate();
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return {
    url,
    pool,
    kind: process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded PostgreSQL',
    close: async () => {
      await pool.end();
      await close();
    },
  };
}

/** Secrets the bench gives the service (and the baseline): its keys are the bench's to know. */
export function benchSecrets() {
  return {
    appId: '1000000000000042',
    appSecret: randomBytes(24).toString('hex'),
    encryptionKey: { id: 'bench', key: randomBytes(32) },
    apiKey: `bench_${randomBytes(24).toString('hex')}`,
  };
}

/**
 * Empties the vault's tables, then stores `count` active long-lived connections, sealed as the
 * service seals them, and writes the emulator snapshot with the matching accounts and tokens.
 * `due`: the tokens are in the refresh window (expiring in 3 days, 50 days old); otherwise
 * they are 50 days from expiry and nothing is due. Answers the igUserIds.
 */
export async function seedConnections(database, secrets, { count, due, snapshotFile }) {
  await database.pool.query(
    'TRUNCATE connections, token_reveals, webhook_events, instagram_rate_limit_holds',
  );
  const cipher = new TokenCipher([secrets.encryptionKey]);
  const now = Date.now();
  const issuedAt = now - 50 * DAY_MS;
  const expiresAt = due ? now + 3 * DAY_MS : now + 50 * DAY_MS;
  const nextRefreshAt = due ? now - 60_000 : now + 40 * DAY_MS;
  const accounts = [];
  const tokens = [];
  const ids = [];
  for (let start = 0; start < count; start += BATCH) {
    const columns = { id: [], appScoped: [], professional: [], username: [], sealed: [] };
    for (let i = start; i < Math.min(count, start + BATCH); i += 1) {
      // Odd ids above 2^53, as Instagram's (and the emulator's) are.
      const base = 37_000_000_000_000_001n + 6n * BigInt(i);
      const account = {
        userId: base.toString(),
        appScopedId: (base + 2n).toString(),
        professionalId: (base + 4n).toString(),
        username: `bench_user_${i}`,
        name: `Bench User ${i}`,
        accountType: 'BUSINESS',
        profilePictureUrl: `https://instagram-emulator.invalid/pictures/bench_user_${i}.jpg`,
        followersCount: 100 + i,
        followsCount: 10 + i,
        mediaCount: i,
      };
      const accessToken = `IGAA${randomBytes(48).toString('base64url')}`;
      accounts.push(account);
      tokens.push([
        accessToken,
        {
          kind: 'long_lived',
          appId: secrets.appId,
          userId: account.userId,
          scopes: SCOPES,
          issuedAt,
          expiresAt,
          revoked: false,
        },
      ]);
      ids.push(account.userId);
      columns.id.push(account.userId);
      columns.appScoped.push(account.appScopedId);
      columns.professional.push(account.professionalId);
      columns.username.push(account.username);
      columns.sealed.push(cipher.seal(accessToken, account.userId).ciphertext);
    }
    await database.pool.query(
      `INSERT INTO connections (ig_user_id, app_scoped_id, professional_id, username, scopes,
         token_kind, status, token_ciphertext, token_key_id, token_issued_at, expires_at,
         next_refresh_at, updated_at)
       SELECT id, app_scoped, professional, username, $6::text[], 'long_lived', 'active', sealed,
         $7, $8::timestamptz, $9::timestamptz, $10::timestamptz, now()
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
         AS seed(id, app_scoped, professional, username, sealed)`,
      [
        columns.id,
        columns.appScoped,
        columns.professional,
        columns.username,
        columns.sealed,
        SCOPES,
        secrets.encryptionKey.id,
        new Date(issuedAt).toISOString(),
        new Date(expiresAt).toISOString(),
        new Date(nextRefreshAt).toISOString(),
      ],
    );
  }
  await database.pool.query('VACUUM ANALYZE connections');
  // No posts: the emulator would make each account its default ones, which nothing here reads;
  // for 100,000 accounts they held 780 MB of its heap, and marking that took a core for
  // seconds at a time on the cores the service shares with it.
  const posts = ids.map((id) => [id, []]);
  await writeFile(
    snapshotFile,
    JSON.stringify({ accounts, tokens, posts, clockOffset: 0, usernameCounter: count }),
  );
  return ids;
}

/**
 * Puts every stored token in the refresh window at once (the sweep takes them from there).
 * The planner's statistics are brought up to date, as autovacuum would have done for tokens
 * that came due over days: with the stale ones it would sort every due row at each claim.
 */
export async function makeAllDue(database) {
  await database.pool.query(
    `UPDATE connections SET expires_at = now() + interval '3 days',
       next_refresh_at = now() - interval '1 minute'`,
  );
  await database.pool.query('VACUUM ANALYZE connections');
}

/** How many connections a refresh has renewed so far. */
export async function countRefreshed(database) {
  const { rows } = await database.pool.query(
    `SELECT count(*) FILTER (WHERE last_refreshed_at IS NOT NULL)::int AS refreshed,
            count(*) FILTER (WHERE refresh_attempts > 0)::int AS failing
     FROM connections`,
  );
  return rows[0];
}
