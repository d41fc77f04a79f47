import { useTestApp } from './support/test-app.js';

describe('operations endpoints', () => {
  const test = useTestApp();

  it('answers liveness without a key', async () => {
    const response = await test.http.get('/health/live').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('is ready when the database is reachable and every migration is applied', async () => {
    const response = await test.http.get('/health/ready').expect(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('is not ready while a shipped migration is not applied', async () => {
    const [row] = await test.sql<{ migration_name: string }>(
      'SELECT migration_name FROM _prisma_migrations ORDER BY migration_name DESC LIMIT 1',
    );
    await test.sql('UPDATE _prisma_migrations SET finished_at = NULL WHERE migration_name = $1', [
      row.migration_name,
    ]);
    try {
      const response = await test.http.get('/health/ready').expect(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('not_ready');
      expect(response.body.pendingMigrations).toEqual([row.migration_name]);
    } finally {
      await test.sql(
        'UPDATE _prisma_migrations SET finished_at = now() WHERE migration_name = $1',
        [row.migration_name],
      );
    }
  });
});
