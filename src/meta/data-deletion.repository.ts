import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';

export interface DataDeletionRecord {
  confirmationCode: string;
  status: string;
  connectionsDeleted: number;
  requestedAt: Date;
  completedAt: Date | null;
}

@Injectable()
export class DataDeletionRepository {
  constructor(private readonly prisma: PrismaService) {}

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
