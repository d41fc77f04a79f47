import { Injectable } from '@nestjs/common';
import { type MigrationRow, readMigrationRows } from '../database/migration-status.js';
import { PrismaService } from '../database/prisma.service.js';

@Injectable()
export class HealthRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** The migration history (as the migrator reads it); throws when the database is unreachable. */
  migrationHistory(): Promise<MigrationRow[]> {
    return readMigrationRows((sql) => this.prisma.$queryRawUnsafe(sql));
  }
}
