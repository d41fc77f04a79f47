import 'reflect-metadata';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';
import { ConfigError } from './config/config.error.js';
import { readProcessEnv } from './config/process-env.js';
import { startRuntime } from './runtime.js';
import { TokenRewrapper } from './tokens/token-rewrapper.js';

/**
 * `npm run vault:rewrap`: re-encrypts every stored token under the first key of
 * TOKEN_ENCRYPTION_KEYS. Exits 1 if any token is sealed under a key no longer configured.
 */
async function main(): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const runtime = await startRuntime(readProcessEnv(), {
    dataDir: join(process.cwd(), '.data'),
    log,
  });
  try {
    // Only the vault: no sweeps, no webhook deliveries from this process.
    const config = {
      ...runtime.config,
      refresh: { ...runtime.config.refresh, sweepIntervalMs: 0 },
      webhook: undefined,
    };
    const context = await NestFactory.createApplicationContext(AppModule.forRoot({ config }), {
      logger: ['error', 'warn'],
    });
    try {
      const report = await context.get(TokenRewrapper).rewrapAll();
      process.stdout.write(
        `Rewrapped ${report.rewrapped} token(s) under key "${report.keyId}"` +
          (report.skipped > 0
            ? `; ${report.skipped} changed meanwhile and were left as written`
            : '') +
          '.\n',
      );
      if (report.remaining > 0) {
        process.stdout.write(
          `${report.remaining} token(s) are still under an older key: a replica still encrypts with ` +
            'it. Put the new key first everywhere, then run this again before removing the old key.\n',
        );
        return 1;
      }
      if (report.missingKey.length > 0) {
        const keys = [...new Set(report.missingKey.map((entry) => entry.keyId))].join(', ');
        process.stdout.write(
          `${report.missingKey.length} token(s) are sealed under key(s) not in TOKEN_ENCRYPTION_KEYS ` +
            `(${keys}); add those keys back and run again. Connections: ` +
            `${report.missingKey.map((entry) => entry.igUserId).join(', ')}\n`,
        );
        return 1;
      }
      return 0;
    } finally {
      await context.close();
    }
  } finally {
    await runtime.stop();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(
      `${error instanceof ConfigError ? 'Configuration error' : 'Rewrap failed'}: ${message}\n`,
    );
    process.exit(1);
  });
