import { Injectable } from '@nestjs/common';
import type { Prisma } from '../generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

/** A transaction handed from the service that opened it to the repositories that write in it. */
export type Transaction = Prisma.TransactionClient;

/**
 * Opens a transaction for a service whose change spans several owners' tables; each owner's
 * repository writes its part through the `tx` it is handed. Services never see Prisma itself.
 */
@Injectable()
export class Transactions {
  constructor(private readonly prisma: PrismaService) {}

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(work);
  }
}
