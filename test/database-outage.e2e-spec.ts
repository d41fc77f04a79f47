import { connectionRow, makeDue } from './support/connections.js';
import { PrismaService } from '../src/database/prisma.service.js';
import { connectAccount, countStates, startFlow } from './support/oauth.js';
import { startOwnPostgres, type OwnPostgres } from './support/own-postgres.js';
import { API_KEY, bearer, startTestApp, type TestApp } from './support/test-app.js';
import { waitFor } from './support/wait.js';

const TIMEOUT_MS = 1000;
/** The bound under test is DATABASE_TIMEOUT_MS; the margin covers a loaded CI machine. */
const MARGIN_MS = 2500;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const parse = (lines: string[]): LogLine[] => lines.map((line) => JSON.parse(line) as LogLine);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = Date.now();
  const value = await work();
  return { value, ms: Date.now() - startedAt };
}

describe('PostgreSQL trouble', () => {
  let db: OwnPostgres;
  let test: TestApp;
  let igUserId: string;

  beforeAll(async () => {
    db = await startOwnPostgres();
    test = await startTestApp({ DATABASE_TIMEOUT_MS: String(TIMEOUT_MS) }, { database: db });
    ({ igUserId } = await connectAccount(test));
  }, 60_000);

  afterAll(async () => {
    await test?.close();
  });

  const read = () => test.http.get(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensRead));

  it('a stopped database: 503 database_unavailable with Retry-After, fast, logged once, and back by itself', async () => {
    const before = test.logs.length;
    await db.stop();

    const { value: answers, ms } = await timed(() =>
      Promise.all([
        ...Array.from({ length: 30 }, read),
        ...Array.from({ length: 5 }, () =>
          test.http
            .post('/auth/instagram/authorization-urls')
            .set(bearer(API_KEY.tokensWrite))
            .send({ ownerId: 'outage' }),
        ),
      ]),
    );
    expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.body.code).toBe('database_unavailable');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    const readiness = await timed(() => test.http.get('/health/ready'));
    expect(readiness.value.status).toBe(503);
    expect(readiness.ms).toBeLessThan(2000);

    await db.start();
    await waitFor('readiness', async () => (await test.http.get('/health/ready')).status === 200);
    expect((await read()).status).toBe(200);

    const loud = parse(test.logs.slice(before)).filter((line) => line.level >= 40);
    expect(loud.map((line) => line.msg)).toEqual([
      'database unreachable; answering 503 database_unavailable until it is back',
      'database reachable again',
    ]);
    expect(loud[1].failedRequests).toBeGreaterThanOrEqual(answers.length);
    expect(test.logs.slice(before).join('\n')).not.toContain('"stack"');
  }, 60_000);

  it('a frozen database: 503 within DATABASE_TIMEOUT_MS, readiness within 2 s, and back when it thaws', async () => {
    await db.freeze();
    try {
      const { value: answers, ms } = await timed(() =>
        Promise.all(Array.from({ length: 16 }, read)),
      );
      expect(ms).toBeLessThan(TIMEOUT_MS + MARGIN_MS);
      expect(answers.map((answer) => answer.status)).toEqual(Array(16).fill(503));
      expect(answers.every((answer) => answer.body.code === 'database_unavailable')).toBe(true);
      const readiness = await timed(() => test.http.get('/health/ready'));
      expect(readiness.value.status).toBe(503);
      expect(readiness.ms).toBeLessThan(2000);
    } finally {
      await db.thaw();
    }
    await waitFor('readiness', async () => (await test.http.get('/health/ready')).status === 200);
    expect((await read()).status).toBe(200);
  }, 60_000);

  it('a transaction frozen half way leaves no connection behind inside it: later writes commit', async () => {
    const prisma = test.app.get(PrismaService);
    const failed = prisma
      .$transaction(async (tx) => {
        await tx.$executeRaw`SELECT 1`;
        await db.freeze();
        await tx.$executeRaw`SELECT 1`;
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(await failed).toBeDefined();
    await db.thaw();
    await waitFor('readiness', async () => (await test.http.get('/health/ready')).status === 200);

    const before = await countStates(test);
    for (let i = 0; i < 3; i++) {
      await startFlow(test);
    }
    // Seen from another session: committed, not stuck in a transaction nobody will end.
    expect(await countStates(test)).toBe(before + 3);
  }, 60_000);

  it('a sweep that starts while the database is down fails quietly and does its work once it is back', async () => {
    await makeDue(test, [igUserId]);
    await db.stop();
    const sweeper = await startTestApp(
      { DATABASE_TIMEOUT_MS: String(TIMEOUT_MS), REFRESH_SWEEP_INTERVAL_MS: '200' },
      { peer: test },
    );
    try {
      const before = sweeper.logs.length;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await db.start();
      await waitFor(
        'the refresh',
        async () => (await connectionRow(test, igUserId))?.last_refreshed_at ?? undefined,
      );
      const lines = parse(sweeper.logs.slice(before));
      expect(lines.filter((line) => line.msg === 'refresh sweep failed').length).toBeGreaterThan(0);
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    } finally {
      await sweeper.close();
    }
  }, 60_000);
});
