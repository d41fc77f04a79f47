import { execFileSync, spawn } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
  EmbeddedPostgresError,
  type EmbeddedPostgresHandle,
  startEmbeddedPostgres,
} from './embedded-postgres.js';
import { locateBinaries } from './postgres-binaries.js';

const sql = async (url: string, text: string) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
};

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startEmbeddedPostgres', () => {
  let root: string;
  let dataDir: string;
  const running: EmbeddedPostgresHandle[] = [];
  const start = async () => {
    const handle = await startEmbeddedPostgres({ dataDir });
    running.push(handle);
    return handle;
  };
  const postmasterPid = async () =>
    Number((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]);

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'embedded-pg-'));
    await chmod(root, 0o755);
    dataDir = path.join(root, 'pg');
    const server = await start();
    await sql(server.url, 'CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)');
    await server.stop();
  });

  afterAll(async () => {
    await Promise.all(running.map((handle) => handle.stop()));
    await rm(root, { recursive: true, force: true });
  });

  it('keeps data and its generated password across restarts', async () => {
    const first = await start();
    expect(first.url).toMatch(/^postgresql:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/vault$/);
    await sql(first.url, 'INSERT INTO kept VALUES (8)');
    await first.stop();
    await first.stop();

    const second = await start();
    expect(new URL(second.url).password).toBe(new URL(first.url).password);
    const rows = await sql(second.url, 'SELECT id FROM kept ORDER BY id');
    expect(rows).toEqual([{ id: 7 }, { id: 8 }]);
    await sql(second.url, 'DELETE FROM kept WHERE id = 8');
    await second.stop();

    const credentials = await stat(`${dataDir}.credentials.json`);
    expect(credentials.mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong password', async () => {
    const server = await start();
    const url = new URL(server.url);
    url.password = 'wrong';
    await expect(sql(url.toString(), 'SELECT 1')).rejects.toThrow(/password authentication/);
    await server.stop();
  });

  it('starts again after a run was killed and left postmaster.pid behind', async () => {
    const killed = await start();
    const pid = await postmasterPid();
    process.kill(pid, 'SIGKILL');
    while (isAlive(pid)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await killed.stop();
    expect(await postmasterPid()).toBe(pid);

    const server = await start();
    expect(await sql(server.url, 'SELECT id FROM kept')).toEqual([{ id: 7 }]);
    await server.stop();
  });

  it('starts when the pid in a stale postmaster.pid now belongs to another process', async () => {
    // Owned by the server's user: postgres takes a pid it may not signal (EPERM) for stale anyway.
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']));
    const asServerUser = os.userInfo().uid === 0 ? { uid: id('-u'), gid: id('-g') } : {};
    const other = spawn('sleep', ['30'], asServerUser);
    try {
      const pidFile = path.join(dataDir, 'postmaster.pid');
      await writeFile(pidFile, `${other.pid}\n${dataDir}\n0\n5432\n\n\n\n`);
      const server = await start();
      expect(await sql(server.url, 'SELECT id FROM kept')).toEqual([{ id: 7 }]);
      await server.stop();
    } finally {
      other.kill();
    }
  });

  it('stops a server whose service died without stopping it, then starts on the same data', async () => {
    const orphaned = await start();
    // A service killed with SIGKILL: its postgres runs on, and the owner recorded is gone.
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    await writeFile(`${dataDir}.owner`, `${dead.pid}\n`);

    const server = await start();
    expect(server.pid).not.toBe(orphaned.pid);
    expect(isAlive(orphaned.pid)).toBe(false);
    expect(await sql(server.url, 'SELECT id FROM kept')).toEqual([{ id: 7 }]);
    await server.stop();
  });

  it('never touches a server running on another folder, even when its pid is in our pid file', async () => {
    const otherDir = path.join(root, 'other');
    const other = await startEmbeddedPostgres({ dataDir: otherDir });
    running.push(other);
    try {
      await writeFile(
        path.join(dataDir, 'postmaster.pid'),
        `${other.pid}\n${otherDir}\n0\n${other.port}\n\n\n\n`,
      );
      const server = await start();
      expect(isAlive(other.pid)).toBe(true);
      expect(await sql(other.url, 'SELECT 1 AS up')).toEqual([{ up: 1 }]);
      expect(await sql(server.url, 'SELECT id FROM kept')).toEqual([{ id: 7 }]);
      await server.stop();
    } finally {
      await other.stop();
    }
  });
});

const asRoot = os.userInfo().uid === 0 ? describe : describe.skip;

asRoot('startEmbeddedPostgres as root, from folders the postgres user cannot enter', () => {
  let privateRoot: string;

  beforeAll(async () => {
    // Like a project cloned into /root (mode 0700).
    privateRoot = await mkdtemp(path.join(os.tmpdir(), 'embedded-pg-private-'));
    await chmod(privateRoot, 0o700);
  });

  afterAll(async () => {
    await rm(privateRoot, { recursive: true, force: true });
  });

  it('runs binaries the postgres user cannot reach from a copy it can', async () => {
    const binaries = path.join(privateRoot, 'node_modules', 'native');
    await mkdir(path.dirname(binaries), { recursive: true });
    await cp(await locateBinaries(), binaries, { recursive: true, verbatimSymlinks: true });
    const shared = await mkdtemp(path.join(os.tmpdir(), 'embedded-pg-data-'));
    await chmod(shared, 0o755);
    try {
      const server = await startEmbeddedPostgres({
        dataDir: path.join(shared, 'pg'),
        binariesDir: binaries,
      });
      expect(await sql(server.url, 'SELECT 1 AS up')).toEqual([{ up: 1 }]);
      await server.stop();
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('refuses a data folder the postgres user cannot enter with one line saying what to do', async () => {
    const started = startEmbeddedPostgres({
      dataDir: path.join(privateRoot, 'app', '.data', 'pg'),
    });
    await expect(started).rejects.toThrow(EmbeddedPostgresError);
    await expect(started).rejects.toThrow(/cannot enter .*set DATABASE_URL/);
    const message = await started.catch((error: Error) => error.message);
    expect(message).not.toContain('\n');
  });
});
