import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';

export interface OAuthFlow {
  ownerId: string | null;
  returnTo: string | null;
  expiresAt: Date;
}

export type ConsumedState =
  | { outcome: 'consumed'; flow: OAuthFlow }
  | { outcome: 'expired' | 'already_used'; flow: OAuthFlow }
  | { outcome: 'unknown' };

/** States are kept a little past expiry, so a late replay reads as such; then dropped. */
const KEEP_AFTER_EXPIRY_MS = 60 * 60 * 1000;

@Injectable()
export class OAuthStatesRepository {
  constructor(private readonly prisma: PrismaService) {}

  async create(stateHash: string, flow: OAuthFlow): Promise<void> {
    await this.prisma.oAuthState.create({ data: { stateHash, ...flow } });
  }

  /** Marks a state used, atomically: of two concurrent callbacks, exactly one consumes it. */
  async consume(stateHash: string, now = new Date()): Promise<ConsumedState> {
    const { count } = await this.prisma.oAuthState.updateMany({
      where: { stateHash, consumedAt: null },
      data: { consumedAt: now },
    });
    const row = await this.prisma.oAuthState.findUnique({
      where: { stateHash },
      select: { ownerId: true, returnTo: true, expiresAt: true },
    });
    if (row === null) {
      return { outcome: 'unknown' };
    }
    if (count === 0) {
      return { outcome: 'already_used', flow: row };
    }
    return {
      outcome: row.expiresAt.getTime() <= now.getTime() ? 'expired' : 'consumed',
      flow: row,
    };
  }

  async deleteStale(now = new Date()): Promise<number> {
    const { count } = await this.prisma.oAuthState.deleteMany({
      where: { expiresAt: { lt: new Date(now.getTime() - KEEP_AFTER_EXPIRY_MS) } },
    });
    return count;
  }
}
