import { Injectable } from '@nestjs/common';
import { DatabasePool, type PreparedStatement } from '../database/database-pool.js';
import { PrismaService } from '../database/prisma.service.js';
import type { Transaction } from '../database/transactions.js';

/** Prepared, as the hot reads are: planned once per connection. */
const RECORD: PreparedStatement = {
  name: 'vault_record_reveal',
  text: 'INSERT INTO token_reveals (ig_user_id, api_key_name) VALUES ($1, $2)',
};

/** The reveal audit (token_reveals): one row per access token handed to a caller. */
@Injectable()
export class TokenRevealsRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly database: DatabasePool,
  ) {}

  /**
   * One audit row, as hand-written SQL on the service's pool: it is on every reveal's path,
   * where Prisma's query pipeline cost more than the insert itself.
   */
  async record(igUserId: string, apiKeyName: string): Promise<void> {
    await this.database.prepared(RECORD, [igUserId, apiKeyName]);
  }

  /** Retention: rows older than `cutoff` go, a batch at a time; answers how many. */
  async deleteRevealedBefore(cutoff: Date, batchSize = 5000): Promise<number> {
    let deleted = 0;
    for (;;) {
      // SKIP LOCKED: replicas pruning at once share the work instead of waiting on each other.
      const count = await this.prisma.$executeRaw`
        DELETE FROM token_reveals WHERE id IN (
          SELECT id FROM token_reveals WHERE revealed_at < ${cutoff}
          LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)`;
      deleted += count;
      if (count < batchSize) {
        return deleted;
      }
    }
  }

  /** Meta's data deletion: the audit rows of these accounts go too. */
  async deleteFor(igUserIds: string[], tx: Transaction): Promise<void> {
    await tx.tokenReveal.deleteMany({ where: { igUserId: { in: igUserIds } } });
  }
}
