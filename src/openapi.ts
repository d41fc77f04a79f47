import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument, createApp } from './app.setup.js';
import { projectRoot } from './common/project-root.js';
import { openApiPlaceholderConfig } from './openapi.config.js';

/** Writes openapi.json from the app module; no database is touched. */
async function writeOpenApi(): Promise<void> {
  const app = await createApp({ config: openApiPlaceholderConfig() });
  const document = buildOpenApiDocument(app);
  await app.close();
  const file = join(projectRoot(), 'openapi.json');
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

await writeOpenApi();
