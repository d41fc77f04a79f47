import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../common/project-root.js';

export function migrationsDir(): string {
  return join(projectRoot(), 'prisma', 'migrations');
}

/** Migration folders in the order Prisma applies them (by name). */
export function listMigrationNames(dir = migrationsDir()): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}
