import { Global, Module } from '@nestjs/common';
import { DatabasePool } from './database-pool.js';
import { PrismaService } from './prisma.service.js';
import { ReplicaLock } from './replica-lock.js';
import { Transactions } from './transactions.js';

@Global()
@Module({
  providers: [DatabasePool, PrismaService, Transactions, ReplicaLock],
  exports: [DatabasePool, PrismaService, Transactions, ReplicaLock],
})
export class DatabaseModule {}
