import { Injectable } from '@nestjs/common';
import { DatabasePool } from '../database/database-pool.js';
import { type MigrationRow, readMigrationRows } from '../database/migration-status.js';

@Injectable()
export class HealthRepository {
  constructor(private readonly database: DatabasePool) {}

  /**
   * The migration history (as the migrator reads it); throws when the database is unreachable.
   * Plain SQL on the pool: a probe must not wait for Prisma's query engine to load.
   */
  migrationHistory(): Promise<MigrationRow[]> {
    return readMigrationRows(async <T>(sql: string) => {
      const { rows } = await this.database.pool.query(sql);
      return rows as T[];
    });
  }
}
