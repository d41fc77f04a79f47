import { Global, Module } from '@nestjs/common';
import { DatabasePool } from './database-pool.js';
import { PrismaService } from './prisma.service.js';
import { Transactions } from './transactions.js';

@Global()
@Module({
  providers: [DatabasePool, PrismaService, Transactions],
  exports: [DatabasePool, PrismaService, Transactions],
})
export class DatabaseModule {}
