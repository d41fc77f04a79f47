import pg from 'pg';
import { ConfigError } from './config.error.js';
import { assertDatabaseAvailable, databaseConfigured, readDatabaseUrl } from './database.env.js';
import type { RawEnv } from './env.parser.js';

/** What node-postgres (and so Prisma's adapter and the migrator) makes of a connection URL. */
function connectionOf(url: string) {
  const { user, password, host, port, database } = new pg.Client({ connectionString: url });
  return { user, password, host, port, database };
}

function configErrorOf(read: () => unknown): ConfigError {
  try {
    read();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('accepted an environment it should have refused');
}

describe('the database settings', () => {
  it('takes DATABASE_URL as given, over the libpq variables', () => {
    const url = 'postgresql://vault:pw@db.test:5432/vault';
    expect(readDatabaseUrl({ DATABASE_URL: url, PGHOST: 'elsewhere.test' })).toBe(url);
  });

  it('builds the connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, any password', () => {
    const password = ' p@ss:w/rd#%?&= x ';
    const url = readDatabaseUrl({
      PGHOST: 'db',
      PGPORT: '6543',
      PGUSER: 'vault@corp',
      PGPASSWORD: password,
      PGDATABASE: 'vault data',
    });

    expect(connectionOf(url)).toEqual({
      user: 'vault@corp',
      password,
      host: 'db',
      port: 6543,
      database: 'vault data',
    });
    expect(url).not.toContain(password);
  });

  it('defaults the port to 5432 and leaves unset parts to libpq', () => {
    const url = readDatabaseUrl({ PGHOST: 'db.test' });
    expect(url).toBe('postgresql://db.test:5432/');
    expect(connectionOf(url)).toMatchObject({ host: 'db.test', port: 5432 });
  });

  it('takes an IPv6 address and a Unix socket directory as PGHOST', () => {
    expect(connectionOf(readDatabaseUrl({ PGHOST: '::1', PGDATABASE: 'v' }))).toMatchObject({
      host: '::1',
      database: 'v',
    });
    expect(
      connectionOf(readDatabaseUrl({ PGHOST: '/var/run/postgresql', PGUSER: 'u' })),
    ).toMatchObject({ host: '/var/run/postgresql', user: 'u', port: 5432 });
  });

  it.each<[string, RawEnv, string]>([
    ['neither DATABASE_URL nor PGHOST', {}, 'DATABASE_URL'],
    ['a DATABASE_URL that is not postgresql://', { DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    ['several hosts in PGHOST', { PGHOST: 'a,b' }, 'PGHOST'],
    ['a PGHOST that is no host', { PGHOST: 'not a host' }, 'PGHOST'],
    ['a PGPORT out of range', { PGHOST: 'db', PGPORT: '70000' }, 'PGPORT'],
    ['a PGDATABASE a URL cannot carry', { PGHOST: 'db', PGDATABASE: 'a/b' }, 'PGDATABASE'],
  ])('refuses %s, naming %s', (_, env, variable) => {
    expect(configErrorOf(() => readDatabaseUrl(env)).variable).toBe(variable);
  });

  it('never puts PGPASSWORD in an error message', () => {
    const error = configErrorOf(() =>
      readDatabaseUrl({ PGHOST: 'db', PGPASSWORD: 'hunter2-secret', PGDATABASE: 'a#b' }),
    );
    expect(error.message).not.toContain('hunter2-secret');
  });

  it('counts DATABASE_URL or PGHOST as a configured server, blanks as unset', () => {
    expect(databaseConfigured({ DATABASE_URL: 'postgresql://x/y' })).toBe(true);
    expect(databaseConfigured({ PGHOST: 'db' })).toBe(true);
    expect(databaseConfigured({ PGHOST: ' ', PGUSER: 'u', PGPASSWORD: 'p' })).toBe(false);
  });

  it('stops with one line when no server is named and the embedded one is off', () => {
    const error = configErrorOf(() => assertDatabaseAvailable({ EMBEDDED_DATABASE: 'false' }));
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toMatch(/set DATABASE_URL, or PGHOST/);
    expect(error.message).not.toContain('\n');
    expect(() =>
      assertDatabaseAvailable({ EMBEDDED_DATABASE: 'false', PGHOST: 'db' }),
    ).not.toThrow();
    expect(() => assertDatabaseAvailable({})).not.toThrow();
    expect(
      configErrorOf(() => assertDatabaseAvailable({ EMBEDDED_DATABASE: 'maybe' })).variable,
    ).toBe('EMBEDDED_DATABASE');
  });
});
