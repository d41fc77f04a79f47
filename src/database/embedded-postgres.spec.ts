import { execFileSync, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './embedded-postgres.js';

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
});
