import { readdir, readFile } from 'node:fs/promises';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  type EmbeddedPostgresHandle,
  startEmbeddedPostgres,
} from '../../src/database/embedded-postgres.js';
import { migrationsDir } from '../../src/database/migration-files.js';
import { Migrator } from '../../src/database/migrator.js';
import type { TestDatabase } from './test-database.js';

/**
 * A PostgreSQL server of the test's own (the embedded one, own folder and port), migrated, that
 * the test may stop, start again, freeze (SIGSTOP) and thaw. Never the shared server.
 */
export interface OwnPostgres extends TestDatabase {
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Every process of the server stopped with SIGSTOP: sockets stay open, nothing answers. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'vault-own-pg-'));
  // As root the server runs as `postgres`, which must be able to enter the folder.
  await chmod(root, 0o755);
  const dataDir = path.join(root, 'data');
  let handle: EmbeddedPostgresHandle = await startEmbeddedPostgres({ dataDir });
  const port = handle.port;
  const url = handle.url;
  await new Migrator({ databaseUrl: url, migrationsDir: migrationsDir() }).migrate();
  const signalAll = async (signal: NodeJS.Signals) => {
    for (const pid of [handle.pid, ...(await childrenOf(handle.pid))]) {
      try {
        process.kill(pid, signal);
      } catch {
        // Exited meanwhile.
      }
    }
  };
  let dropped: Promise<void> | undefined;
  return {
    url,
    stop: () => handle.stop(),
    start: async () => {
      handle = await startEmbeddedPostgres({ dataDir, port });
    },
    freeze: () => signalAll('SIGSTOP'),
    thaw: () => signalAll('SIGCONT'),
    drop: () =>
      (dropped ??= (async () => {
        await signalAll('SIGCONT');
        await handle.stop();
        await rm(root, { recursive: true, force: true });
      })()),
  };
}

async function childrenOf(parent: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) {
      children.push(Number(entry));
    }
  }
  return children;
}
