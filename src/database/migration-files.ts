import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding package.json, found from this file whether run from src/ or dist/. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error('package.json not found above the service code');
    }
    dir = parent;
  }
  return dir;
}

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
