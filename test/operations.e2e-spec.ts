import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from '../src/app.setup.js';
import { projectRoot } from '../src/common/project-root.js';
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

  it('serves the OpenAPI document and the Swagger UI', async () => {
    const document = await test.http.get('/openapi.json').expect(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(Object.keys(document.body.paths)).toContain('/users/{igUserId}');
    const docs = await test.http.get('/docs').expect(200);
    expect(docs.text).toContain('swagger-ui');
  });

  it('matches the committed openapi.json (run `npm run openapi` after changing the API)', () => {
    const committed = JSON.parse(readFileSync(join(projectRoot(), 'openapi.json'), 'utf8'));
    expect(buildOpenApiDocument(test.app)).toEqual(committed);
  });

  it('names every operation after its controller method', async () => {
    const document = (await test.http.get('/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const ids = Object.values(document.paths).flatMap((operations) =>
      Object.values(operations).map((operation) => operation.operationId),
    );
    expect(ids).toEqual(
      expect.arrayContaining(['getConnection', 'revealAccessToken', 'getInstagramUser']),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });
});
