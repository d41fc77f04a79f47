import { Injectable } from '@nestjs/common';
import { DatabasePool } from '../database/database-pool.js';
import { PrismaService } from '../database/prisma.service.js';

export interface StoredHold {
  scope: string;
  untilMs: number;
}

/** The holds every replica shares; owned by the Instagram module. */
@Injectable()
export class RateLimitHoldsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly database: DatabasePool,
  ) {}

  /**
   * Holds still standing. Read before calls to Instagram (at most once a second), so plain SQL
   * on the pool rather than Prisma's query pipeline.
   */
  async active(): Promise<StoredHold[]> {
    const { rows } = await this.database.pool.query<{ scope: string; until: Date }>(
      'SELECT scope, until FROM instagram_rate_limit_holds WHERE until > $1',
      [new Date()],
    );
    return rows.map((row) => ({ scope: row.scope, untilMs: row.until.getTime() }));
  }

  /** Places a hold, or lengthens one that ends sooner; never shortens it. Drops ended holds. */
  async extend(scope: string, until: Date, reason: string): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO instagram_rate_limit_holds (scope, until, reason, updated_at)
      VALUES (${scope}, ${until}, ${reason}, now())
      ON CONFLICT (scope) DO UPDATE
        SET until = GREATEST(instagram_rate_limit_holds.until, EXCLUDED.until),
            reason = EXCLUDED.reason, updated_at = now()`;
    await this.prisma.$executeRaw`
      DELETE FROM instagram_rate_limit_holds WHERE until < now() - interval '1 hour'`;
  }
}
