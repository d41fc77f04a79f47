import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { buildOpenApiDocument } from '../src/app.setup.js';
import { projectRoot } from '../src/common/project-root.js';
import { useTestApp } from './support/test-app.js';

interface Described {
  description?: string;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, Described & { summary?: string; parameters?: (Described & { name: string })[] }>
  >;
  components: {
    schemas: Record<string, Described & { type?: string; properties?: Record<string, Described> }>;
  };
}

const root = projectRoot();
const committedDocument = (): OpenApiDocument =>
  JSON.parse(readFileSync(join(root, 'openapi.json'), 'utf8')) as OpenApiDocument;

describe('the OpenAPI document', () => {
  const test = useTestApp();

  it('serves the OpenAPI document and the Swagger UI', async () => {
    const document = await test.http.get('/openapi.json').expect(200);
    expect(document.body.openapi).toMatch(/^3\./);
    expect(Object.keys(document.body.paths)).toContain('/users/{igUserId}');
    const docs = await test.http.get('/docs').expect(200);
    expect(docs.text).toContain('swagger-ui');
  });

  it('matches the committed openapi.json (run `npm run openapi` after changing the API)', () => {
    expect(buildOpenApiDocument(test.app)).toEqual(committedDocument());
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

  it('is a valid OpenAPI document', async () => {
    const document = committedDocument();
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('matches the committed client types (run `npm run client` after `npm run openapi`)', async () => {
    const generated = COMMENT_HEADER + astToString(await openapiTS(committedDocument() as never));
    const committed = readFileSync(join(root, 'clients/typescript/src/schema.d.ts'), 'utf8');
    expect(committed).toBe(generated);
  });

  it('describes every operation, parameter, schema and schema property for its callers', () => {
    const document = committedDocument();
    const undescribed: string[] = [];
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (!operation.summary || !operation.description) {
          undescribed.push(name);
        }
        for (const parameter of operation.parameters ?? []) {
          if (!parameter.description) {
            undescribed.push(`${name} parameter ${parameter.name}`);
          }
        }
      }
    }
    for (const [name, schema] of Object.entries(document.components.schemas)) {
      if (!schema.description) {
        undescribed.push(`schema ${name}`);
      }
      for (const [property, definition] of Object.entries(schema.properties ?? {})) {
        if (!definition.description) {
          undescribed.push(`${name}.${property}`);
        }
      }
    }
    expect(undescribed).toEqual([]);
    expect(Object.keys(document.components.schemas)).toContain('ConnectionDto');
  });
});
