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
}
