import { useTestApp } from './support/test-app.js';
import { withNewestMigrationUnfinished } from './support/whole-database.js';

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
    await withNewestMigrationUnfinished(test, async (migrationName) => {
      const response = await test.http.get('/health/ready').expect(503);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.code).toBe('not_ready');
      expect(response.body.pendingMigrations).toEqual([migrationName]);
    });
  });
});
