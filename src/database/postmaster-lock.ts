import { existsSync } from 'node:fs';
import { readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresError } from './postgres-binaries.js';

const STOP_WAIT_MS = 30_000;

/**
 * Makes the data folder ours to start, whatever the last run left: a `postmaster.pid` of a dead
 * process or of an unrelated one is removed; a server on OUR folder whose service was killed
 * (kill -9 leaves the postgres child running) is stopped cleanly; a server another live service
 * still runs is refused. A server on any other folder is never touched.
 */
export async function takeOverDataDir(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const pid = await readPid(pidFile);
  if (pid === undefined) {
    return;
  }
  const dataDirOfPid = await postmasterDataDir(pid);
  if (dataDirOfPid === undefined) {
    // Dead, or a process that is no postgres: postgres itself would refuse a live unrelated pid.
    if (isAlive(pid)) {
      await rm(pidFile, { force: true });
    }
    return;
  }
  if (dataDirOfPid !== (await realpath(dataDir))) {
    // The pid now belongs to a server of another folder: this file is stale, that server not ours.
    await rm(pidFile, { force: true });
    return;
  }
  const owner = await readOwner(dataDir);
  const parent = parentPid(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
  if (owner !== undefined && owner !== process.pid && owner === parent && isAlive(owner)) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${dataDir} is in use by another running service (pid ${owner}); ` +
        'stop that one first, or set DATABASE_URL',
    );
  }
  log(`Stopping a PostgreSQL (pid ${pid}) left running on ${dataDir} by a service that died`);
  await stopPostmaster(pid);
}

/** Records which process runs the server now, for the next start's takeover. */
export async function recordOwner(dataDir: string): Promise<void> {
  await writeFile(ownerFile(dataDir), `${process.pid}\n`, { mode: 0o600 });
}

/** Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL; resolves once it is gone. */
export async function stopPostmaster(pid: number, waitMs = STOP_WAIT_MS): Promise<void> {
  for (const signal of ['SIGINT', 'SIGQUIT', 'SIGKILL'] as const) {
    if (!signalProcess(pid, signal)) {
      return;
    }
    const deadline = Date.now() + (signal === 'SIGKILL' ? 5000 : waitMs);
    while (isAlive(pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!isAlive(pid)) {
      return;
    }
  }
}

function ownerFile(dataDir: string): string {
  return `${dataDir}.owner`;
}

async function readOwner(dataDir: string): Promise<number | undefined> {
  if (!existsSync(ownerFile(dataDir))) {
    return undefined;
  }
  const pid = Number((await readFile(ownerFile(dataDir), 'utf8')).trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

async function readPid(pidFile: string): Promise<number | undefined> {
  if (!existsSync(pidFile)) {
    return undefined;
  }
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The `-D` folder of a running postgres (as a real path), or undefined for anything else. */
async function postmasterDataDir(pid: number): Promise<string | undefined> {
  if (os.platform() !== 'linux') {
    return undefined;
  }
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  const args = cmdline?.split('\0') ?? [];
  if (path.basename(args[0] ?? '') !== 'postgres') {
    return undefined;
  }
  const index = args.indexOf('-D');
  const dir = index >= 0 ? args[index + 1] : undefined;
  return dir === undefined ? undefined : realpath(dir).catch(() => dir);
}

/** /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses. */
function parentPid(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
