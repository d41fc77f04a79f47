import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Transaction } from '../database/transactions.js';

/** The reveal audit (token_reveals): one row per access token handed to a caller. */
@Injectable()
export class TokenRevealsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async record(igUserId: string, apiKeyName: string): Promise<void> {
    await this.prisma.tokenReveal.create({ data: { igUserId, apiKeyName } });
  }

  /** Meta's data deletion: the audit rows of these accounts go too. */
  async deleteFor(igUserIds: string[], tx: Transaction): Promise<void> {
    await tx.tokenReveal.deleteMany({ where: { igUserId: { in: igUserIds } } });
  }
}
