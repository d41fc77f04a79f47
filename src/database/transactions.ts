import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

export type Transaction = Prisma.TransactionClient;

/**
 * Opens a transaction for a service whose change spans tables of several owners; each owner's
 * repository writes its own tables with the `tx` it is handed.
 */
@Injectable()
export class Transactions {
  constructor(private readonly prisma: PrismaService) {}

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }
}
