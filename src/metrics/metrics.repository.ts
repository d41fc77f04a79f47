import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { ConnectionStatus } from '../generated/prisma/client.js';

@Injectable()
export class MetricsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Every status, zero included; an active row past its expiry counts as expired. */
  async countConnectionsByStatus(): Promise<[string, number][]> {
    const rows = await this.prisma.$queryRaw<{ status: string; count: bigint }[]>`
      SELECT CASE WHEN status = 'active' AND expires_at <= now() THEN 'expired'
                  ELSE status::text END AS status,
             count(*) AS count
      FROM connections GROUP BY 1`;
    const counts = new Map<string, number>(
      Object.values(ConnectionStatus).map((status) => [status, 0]),
    );
    for (const row of rows) {
      counts.set(row.status, (counts.get(row.status) ?? 0) + Number(row.count));
    }
    return [...counts];
  }
}
