import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode } from '../common/app-error.js';
import { listMigrationNames } from '../database/migration-files.js';
import { type MigrationRow, migrationStatus } from '../database/migration-status.js';
import { HealthRepository } from './health.repository.js';

@Injectable()
export class HealthService {
  private readonly expectedMigrations = listMigrationNames();

  constructor(private readonly repository: HealthRepository) {}

  /** Ready: the database answers and every migration shipped with this build is applied. */
  async checkReady(): Promise<{ migrations: number }> {
    let history: MigrationRow[];
    try {
      history = await this.repository.migrationHistory();
    } catch {
      throw new AppError(ErrorCode.NotReady, 'The database cannot be reached.');
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
