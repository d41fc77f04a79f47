// Runs `prisma generate` without the schema engine: generate never executes it, but
// the CLI insists the binary exists and would download it otherwise (impossible offline).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const cli = 'node_modules/prisma/build/index.js';
if (!existsSync(cli)) {
  // A production install (--omit=dev) has no Prisma CLI; the client was generated at build.
  console.log('prisma CLI not installed; skipping prisma generate');
  process.exit(0);
}

const env = { ...process.env };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY || !existsSync(env.PRISMA_SCHEMA_ENGINE_BINARY)) {
  env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
}
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';

const result = spawnSync(process.execPath, [cli, 'generate'], {
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
