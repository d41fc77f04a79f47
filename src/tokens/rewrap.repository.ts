import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { WITH_TOKEN_SELECT } from './connection.columns.js';
import type { ConnectionWithToken } from './connection.record.js';

/** Key rotation's queries over stored ciphertexts (TokenRewrapper's only). */
@Injectable()
export class RewrapRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Connections whose token is sealed under another key than `keyId`, a page at a time. */
  findSealedUnderOtherKeys(
    keyId: string,
    afterIgUserId: string,
    limit: number,
  ): Promise<ConnectionWithToken[]> {
    return this.prisma.connection.findMany({
      where: {
        tokenCiphertext: { not: null },
        tokenKeyId: { not: keyId },
        igUserId: { gt: afterIgUserId },
      },
      orderBy: { igUserId: 'asc' },
      take: limit,
      select: WITH_TOKEN_SELECT,
    });
  }

  /** How many stored tokens are sealed under any of these keys. */
  countSealedUnder(keyIds: string[]): Promise<number> {
    return this.prisma.connection.count({
      where: { tokenCiphertext: { not: null }, tokenKeyId: { in: keyIds } },
    });
  }

  /** Swaps a ciphertext for its re-encryption, only if nobody wrote a new token meanwhile. */
  async replaceCiphertext(
    connection: ConnectionWithToken,
    sealed: { keyId: string; ciphertext: Buffer },
  ): Promise<boolean> {
    if (connection.tokenCiphertext === null) {
      return false;
    }
    const { count } = await this.prisma.connection.updateMany({
      where: {
        igUserId: connection.igUserId,
        tokenKeyId: connection.tokenKeyId,
        tokenCiphertext: { equals: new Uint8Array(connection.tokenCiphertext) },
      },
      data: { tokenKeyId: sealed.keyId, tokenCiphertext: new Uint8Array(sealed.ciphertext) },
    });
    return count === 1;
  }
}
