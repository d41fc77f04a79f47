import { Injectable } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import { DatabasePool } from './database-pool.js';

/** The Prisma client over the service's own pool (no engine binary); connects on first query. */
@Injectable()
export class PrismaService extends PrismaClient {
  constructor(database: DatabasePool) {
    super({ adapter: new PrismaPg(database.pool) });
  }
}
