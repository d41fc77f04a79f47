import { join } from 'node:path';
import type { AppConfig } from './config/app-config.js';
import { assertDatabaseAvailable, databaseConfigured } from './config/database.env.js';
import type { RawEnv } from './config/env.parser.js';
import { parseEnv } from './config/env.schema.js';
import { migrationsDir } from './database/migration-files.js';
import { Migrator } from './database/migrator.js';
import type { Sandbox } from './sandbox/sandbox.js';

export interface Runtime {
  config: AppConfig;
  sandbox?: Sandbox;
  embeddedDatabase: boolean;
  /** Stops what the runtime started (emulator, embedded database), in reverse order. */
  stop(): Promise<void>;
}

export interface RuntimeOptions {
  /** Where the sandbox keeps its keys and the embedded database its cluster. */
  dataDir: string;
  log: (line: string) => void;
}

/**
 * Everything that must exist before the app: the embedded database when neither DATABASE_URL
 * nor PGHOST is set, the sandbox when INSTAGRAM_APP_ID is unset, the validated config, the migrations.
 */
export async function startRuntime(env: RawEnv, options: RuntimeOptions): Promise<Runtime> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async (): Promise<void> => {
    for (const stopOne of stops.reverse()) {
      await stopOne().catch(() => undefined);
    }
  };
  try {
    // Before anything starts: a container without a database stops with one line.
    assertDatabaseAvailable(env);
    const resolved: Record<string, string | undefined> = { ...env };
    let sandbox: Sandbox | undefined;
    if (!env.INSTAGRAM_APP_ID?.trim()) {
      // Loaded only here: a configured service never loads the emulator's code.
      const { startSandbox } = await import('./sandbox/sandbox.js');
      sandbox = await startSandbox(env, options.dataDir);
      stops.push(() => sandbox!.stop());
      // The sandbox fills in what is unset; what the operator set (say, keys) stands.
      for (const [name, value] of Object.entries(sandbox.env)) {
        if (!resolved[name]?.trim()) {
          resolved[name] = value;
        }
      }
    }
    const embeddedDatabase = !databaseConfigured(env);
    if (embeddedDatabase) {
      // Validate everything else first: a bad variable should not wait on a database start.
      parseEnv(
        { ...resolved, DATABASE_URL: 'postgresql://placeholder/db' },
        { sandbox: !!sandbox },
      );
      // Loaded only here: with DATABASE_URL the embedded database's code stays on disk.
      const { startEmbeddedPostgres } = await import('./database/embedded-postgres.js');
      const database = await startEmbeddedPostgres({
        dataDir: join(options.dataDir, 'postgres'),
        log: options.log,
      });
      stops.push(() => database.stop());
      resolved.DATABASE_URL = database.url;
    }
    const config = parseEnv(resolved, { sandbox: sandbox !== undefined });
    if (config.database.migrateOnStart) {
      const { applied } = await new Migrator({
        databaseUrl: config.database.url,
        migrationsDir: migrationsDir(),
        log: options.log,
      }).migrate();
      if (applied.length > 0) {
        options.log(`applied migrations: ${applied.join(', ')}`);
      }
    }
    return { config, sandbox, embeddedDatabase, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
