import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Transaction } from '../database/transactions.js';

export interface DataDeletionRecord {
  confirmationCode: string;
  status: string;
  connectionsDeleted: number;
  requestedAt: Date;
  completedAt: Date | null;
}

/** Meta's data deletion requests (data_deletion_requests), kept for their status page. */
@Injectable()
export class DataDeletionRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** A deletion done at once, recorded in the transaction that did it. */
  async recordCompleted(
    confirmationCode: string,
    connectionsDeleted: number,
    tx: Transaction,
  ): Promise<void> {
    const now = new Date();
    await tx.dataDeletionRequest.create({
      data: {
        confirmationCode,
        status: 'completed',
        connectionsDeleted,
        requestedAt: now,
        completedAt: now,
      },
    });
  }

  find(confirmationCode: string): Promise<DataDeletionRecord | null> {
    return this.prisma.dataDeletionRequest.findUnique({ where: { confirmationCode } });
  }

  /** Retention: requests completed before `cutoff` are forgotten; answers how many. */
  async deleteCompletedBefore(cutoff: Date): Promise<number> {
    const { count } = await this.prisma.dataDeletionRequest.deleteMany({
      where: { status: 'completed', completedAt: { lt: cutoff } },
    });
    return count;
  }
}
