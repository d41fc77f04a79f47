import type pg from 'pg';
import { DatabasePool } from '../src/database/database-pool.js';
import { useTestApp } from './support/test-app.js';
import { sleep, waitFor } from './support/wait.js';

/**
 * The pool never lends on a connection someone left dirty: inside a transaction (the next
 * caller's writes would then never commit) or with its query still running. Such a session is
 * ended; a clean one stays open for the next caller, through a lull as well.
 */
describe('the database pool', () => {
  const test = useTestApp();

  function pool(): pg.Pool {
    return test.app.get(DatabasePool).pool;
  }

  /**
   * Takes a connection, does `work` on it, releases it while what `work` answers may still be
   * running; answers the connection's server pid.
   */
  async function releaseAfter(
    work: (client: pg.PoolClient) => Promise<{ stillRunning?: Promise<unknown> } | void>,
  ): Promise<number> {
    const client = await pool().connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const left = await work(client);
    client.release();
    await left?.stillRunning;
    return rows[0].pid;
  }

  /**
   * The session's state as another connection sees it (one taken before, so never the one
   * released), or undefined once it has ended.
   */
  async function stateAfterRelease(
    work: Parameters<typeof releaseAfter>[0],
    wanted: string | undefined,
  ): Promise<string | undefined> {
    const checker = await pool().connect();
    try {
      const pid = await releaseAfter(work);
      const state = async () =>
        (
          await checker.query<{ state: string }>(
            'SELECT state FROM pg_stat_activity WHERE pid = $1',
            [pid],
          )
        ).rows[0]?.state;
      // A session the pool ends goes away on the server a moment later.
      await waitFor(
        `the session's state to be ${wanted}`,
        async () => (await state()) === wanted,
        3000,
      ).catch(() => undefined);
      return await state();
    } finally {
      checker.release();
    }
  }

  it('keeps a clean connection open, idle outside any transaction', async () => {
    const state = await stateAfterRelease(async (client) => {
      await client.query('SELECT 1');
    }, 'idle');
    await sleep(200);
    expect(state).toBe('idle');
  });

  it('ends a connection released inside an open transaction', async () => {
    const state = await stateAfterRelease(async (client) => {
      await client.query('BEGIN');
      await client.query('SELECT 1');
    }, undefined);
    expect(state).toBeUndefined();
  });

  it('ends a connection released while its query is still running', async () => {
    const state = await stateAfterRelease(
      (client) =>
        Promise.resolve({
          stillRunning: client.query('SELECT pg_sleep(0.2)').catch((error: unknown) => error),
        }),
      undefined,
    );
    expect(state).toBeUndefined();
  });

  it('keeps its spare connections through a lull longer than ten seconds (no backend churn)', async () => {
    const sessions = async () =>
      new Set(
        (
          await test.sql<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'instagram-token-vault'`,
          )
        ).map((row) => row.pid),
      );
    // Four at once: the pool opens spares, then lends its most recently used one first.
    const taken = await Promise.all(Array.from({ length: 4 }, () => pool().connect()));
    for (const client of taken) {
      client.release();
    }
    const before = await sessions();
    // A trickle that one connection serves, for longer than node-postgres' default idle limit.
    const lullEnds = Date.now() + 10_500;
    while (Date.now() < lullEnds) {
      await pool().query('SELECT 1');
      await sleep(250);
    }
    const after = await sessions();
    expect(before.size).toBeGreaterThanOrEqual(4);
    expect([...before].filter((pid) => !after.has(pid))).toEqual([]);
  }, 20_000);
});
