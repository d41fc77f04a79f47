import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '../common/app-error.js';
import { DatabasePool } from '../database/database-pool.js';
import { listMigrationNames } from '../database/migration-files.js';
import { type MigrationRow, migrationStatus } from '../database/migration-status.js';
import { HealthRepository } from './health.repository.js';

/** Readiness answers within a load balancer's patience even when the database hangs. */
const READINESS_DATABASE_WAIT_MS = 1000;

@Injectable()
export class HealthService {
  private readonly expectedMigrations = listMigrationNames();

  constructor(
    private readonly repository: HealthRepository,
    private readonly database: DatabasePool,
  ) {}

  /** Ready: the database answers within a second and every migration of this build is applied. */
  async checkReady(): Promise<{ migrations: number }> {
    if (!this.database.available) {
      throw unreachable();
    }
    let history: MigrationRow[];
    try {
      history = await withinMs(this.repository.migrationHistory(), READINESS_DATABASE_WAIT_MS);
    } catch (error) {
      this.database.reportFailure(error);
      throw unreachable();
    }
    const { pending } = migrationStatus(this.expectedMigrations, history);
    if (pending.length > 0) {
      throw new AppError(ErrorCode.NotReady, `Migrations not applied: ${pending.join(', ')}.`, {
        extensions: { pendingMigrations: pending },
      });
    }
    return { migrations: this.expectedMigrations.length };
  }
}

function unreachable(): AppError {
  return new AppError(ErrorCode.NotReady, 'The database cannot be reached.', {
    retryAfterSeconds: 5,
  });
}

/** The work's result, or a rejection once `ms` pass (the work itself carries on, bounded). */
function withinMs<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('readiness check timed out')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
