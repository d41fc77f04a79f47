import { rm } from 'node:fs/promises';

/** Runs in global setup's process, after it: its TypeScript loader hooks are in place. */
export default async function globalTeardown(): Promise<void> {
  const support = await import('./test-database.js');
  const state = support.testServerState();
  const adminUrl = process.env[support.ADMIN_URL_ENV];
  const template = process.env[support.TEMPLATE_DB_ENV];
  try {
    if (adminUrl && template) {
      await support.dropRunDatabases(adminUrl, template);
    }
  } finally {
    await state.embedded?.stop();
    if (state.tempDir) {
      await rm(state.tempDir, { recursive: true, force: true });
    }
  }
}
