import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import type { Transaction } from '../database/transactions.js';

export type SignedRequestKind = 'deauthorize' | 'data_deletion';

export interface ProcessedSignedRequest {
  fingerprint: string;
  kind: SignedRequestKind;
  /** The answer a repeated data deletion request is given again. */
  confirmationCode?: string;
  expiresAt: Date;
}

/** Meta's signed requests already acted on, in PostgreSQL so every replica knows them. */
@Injectable()
export class ProcessedSignedRequestsRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Records a request as processed, in the transaction that acts on it. Answers undefined the
   * first time; for a request processed before, what was recorded then. A second copy arriving
   * at once waits for the first's transaction, then sees it.
   */
  async recordFirst(
    request: ProcessedSignedRequest,
    tx: Transaction,
  ): Promise<{ confirmationCode: string | null } | undefined> {
    const { count } = await tx.processedSignedRequest.createMany({
      data: [
        {
          requestHash: request.fingerprint,
          kind: request.kind,
          confirmationCode: request.confirmationCode ?? null,
          expiresAt: request.expiresAt,
        },
      ],
      skipDuplicates: true,
    });
    if (count === 1) {
      return undefined;
    }
    const earlier = await tx.processedSignedRequest.findUnique({
      where: { requestHash_kind: { requestHash: request.fingerprint, kind: request.kind } },
      select: { confirmationCode: true },
    });
    return { confirmationCode: earlier?.confirmationCode ?? null };
  }

  /** Requests Meta's signature no longer vouches for are refused as too old: forget them. */
  async deleteExpired(now = new Date()): Promise<number> {
    const { count } = await this.prisma.processedSignedRequest.deleteMany({
      where: { expiresAt: { lt: now } },
    });
    return count;
  }
}
