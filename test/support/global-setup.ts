import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createRequire, register } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * Migrates once into a template database on DATABASE_URL's server, or on a throwaway embedded
 * PostgreSQL; spec files copy it with createTestDatabase(). Workers inherit process.env.
 */
export default async function globalSetup(): Promise<void> {
  loadTypeScriptImports();
  const { startEmbeddedPostgres } = await import('../../src/database/embedded-postgres.js');
  const { Migrator } = await import('../../src/database/migrator.js');
  const { migrationsDir } = await import('../../src/database/migration-files.js');
  const support = await import('./test-database.js');
  const state = support.testServerState();

  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    state.tempDir = await mkdtemp(path.join(os.tmpdir(), 'vault-test-pg-'));
    // mkdtemp makes it 0700; as root the server runs as `postgres`, which must reach data/.
    await chmod(state.tempDir, 0o755);
    state.embedded = await startEmbeddedPostgres({ dataDir: path.join(state.tempDir, 'data') });
    serverUrl = state.embedded.url;
  }
  // Tests get their own databases; nothing may reach the user's through the inherited env.
  delete process.env.DATABASE_URL;

  const adminUrl = await maintenanceUrl(serverUrl, support);
  const template = `vault_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await support.withAdmin(adminUrl, (client) =>
      client.query(`CREATE DATABASE ${client.escapeIdentifier(template)}`),
    );
    const databaseUrl = support.databaseUrl(adminUrl, template);
    await new Migrator({ databaseUrl, migrationsDir: migrationsDir() }).migrate();
    // The migrator's connection is closed; refusing new ones keeps the template copyable.
    await support.withAdmin(adminUrl, (client) =>
      client.query(`ALTER DATABASE ${client.escapeIdentifier(template)} ALLOW_CONNECTIONS false`),
    );
  } catch (error) {
    await support.dropRunDatabases(adminUrl, template).catch(() => undefined);
    await state.embedded?.stop();
    if (state.tempDir) {
      await rm(state.tempDir, { recursive: true, force: true });
    }
    throw error;
  }
  process.env[support.ADMIN_URL_ENV] = adminUrl;
  process.env[support.TEMPLATE_DB_ENV] = template;
}

/** The server's `postgres` database when we may connect to it, else the one we were given. */
async function maintenanceUrl(
  serverUrl: string,
  support: typeof import('./test-database.js'),
): Promise<string> {
  const candidate = support.databaseUrl(serverUrl, 'postgres');
  try {
    await support.withAdmin(candidate, (client) => client.query('SELECT 1'));
    return candidate;
  } catch {
    return serverUrl;
  }
}

/**
 * Jest runs this file outside its module system: Node itself resolves what it imports, finds no
 * `.js` beside our `.ts` sources and cannot run TypeScript. These loader hooks (also used by
 * global teardown, in the same process) map `./x.js` to `./x.ts` and transpile it.
 */
function loadTypeScriptImports(): void {
  const holder = globalThis as typeof globalThis & { vaultTsHooks?: boolean };
  if (holder.vaultTsHooks) {
    return;
  }
  holder.vaultTsHooks = true;
  const typescript = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;
  const hooks = `
    import { readFile } from 'node:fs/promises';
    import { fileURLToPath } from 'node:url';
    import ts from ${JSON.stringify(typescript)};
    export async function resolve(specifier, context, next) {
      try {
        return await next(specifier, context);
      } catch (error) {
        const fromTs = context.parentURL?.startsWith('file:') && context.parentURL.endsWith('.ts');
        const relativeJs = /^\\.\\.?\\/.*\\.js$/.test(specifier);
        if (!fromTs || !relativeJs || error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
        return next(specifier.slice(0, -3) + '.ts', context);
      }
    }
    export async function load(url, context, next) {
      if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
      const fileName = fileURLToPath(url);
      const { outputText } = ts.transpileModule(await readFile(fileName, 'utf8'), {
        fileName,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          inlineSourceMap: true,
        },
      });
      return { format: 'module', source: outputText, shortCircuit: true };
    }
  `;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
