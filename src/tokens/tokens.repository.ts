import { Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service.js';
import { ConnectionStatus, type Prisma } from '../generated/prisma/client.js';
import type { ConnectionRecord, ConnectionWithToken, StoredToken } from './connection.record.js';

const CONNECTION_SELECT = {
  igUserId: true,
  appScopedId: true,
  professionalId: true,
  ownerId: true,
  username: true,
  scopes: true,
  tokenKind: true,
  status: true,
  tokenIssuedAt: true,
  expiresAt: true,
  lastRefreshedAt: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.ConnectionSelect;

const WITH_TOKEN_SELECT = {
  ...CONNECTION_SELECT,
  tokenCiphertext: true,
  tokenKeyId: true,
} satisfies Prisma.ConnectionSelect;

export interface ConnectionFilter {
  status?: ConnectionStatus;
  ownerId?: string;
  /** Keyset pagination: only connections whose id sorts after this one. */
  afterIgUserId?: string;
  limit: number;
}

export interface ProfileIds {
  username?: string;
  appScopedId?: string;
  professionalId?: string;
}

@Injectable()
export class TokensRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Stores a freshly consented token; a connection that existed comes back to life. */
  async upsertConsented(input: {
    igUserId: string;
    ownerId?: string;
    scopes: string[];
    token: StoredToken;
  }): Promise<ConnectionRecord> {
    const token = tokenColumns(input.token);
    return this.prisma.connection.upsert({
      where: { igUserId: input.igUserId },
      create: {
        igUserId: input.igUserId,
        ownerId: input.ownerId ?? null,
        scopes: input.scopes,
        status: ConnectionStatus.active,
        ...token,
      },
      update: {
        // A flow without an owner keeps the owner a previous flow set.
        ...(input.ownerId !== undefined ? { ownerId: input.ownerId } : {}),
        scopes: input.scopes,
        status: ConnectionStatus.active,
        lastRefreshedAt: null,
        ...token,
      },
      select: CONNECTION_SELECT,
    });
  }

  /**
   * Swaps in a newer token only if the stored one is still the one the caller started from
   * (compared by issue time), so a slow refresh never overwrites a newer token.
   */
  async replaceToken(
    igUserId: string,
    expectedIssuedAt: Date | null,
    token: StoredToken,
    refreshed: boolean,
  ): Promise<ConnectionRecord | null> {
    const { count } = await this.prisma.connection.updateMany({
      where: { igUserId, tokenIssuedAt: expectedIssuedAt, status: ConnectionStatus.active },
      data: { ...tokenColumns(token), ...(refreshed ? { lastRefreshedAt: token.issuedAt } : {}) },
    });
    return count === 1 ? this.find(igUserId) : null;
  }

  async updateProfile(igUserId: string, profile: ProfileIds): Promise<ConnectionRecord | null> {
    const data = Object.fromEntries(
      Object.entries(profile).filter(([, value]) => value !== undefined),
    );
    if (Object.keys(data).length === 0) {
      return this.find(igUserId);
    }
    const { count } = await this.prisma.connection.updateMany({ where: { igUserId }, data });
    return count === 1 ? this.find(igUserId) : null;
  }

  /** Marks a connection unusable (invalid or expired); its status only moves away from active. */
  async markUnusable(
    igUserId: string,
    status: typeof ConnectionStatus.invalid | typeof ConnectionStatus.expired,
  ): Promise<void> {
    await this.prisma.connection.updateMany({
      where: { igUserId, status: ConnectionStatus.active },
      data: { status },
    });
  }

  find(igUserId: string): Promise<ConnectionRecord | null> {
    return this.prisma.connection.findUnique({ where: { igUserId }, select: CONNECTION_SELECT });
  }

  findWithToken(igUserId: string): Promise<ConnectionWithToken | null> {
    return this.prisma.connection.findUnique({ where: { igUserId }, select: WITH_TOKEN_SELECT });
  }

  list(filter: ConnectionFilter): Promise<ConnectionRecord[]> {
    return this.prisma.connection.findMany({
      where: {
        status: filter.status,
        ownerId: filter.ownerId,
        ...(filter.afterIgUserId !== undefined ? { igUserId: { gt: filter.afterIgUserId } } : {}),
      },
      orderBy: { igUserId: 'asc' },
      take: filter.limit,
      select: CONNECTION_SELECT,
    });
  }

  async delete(igUserId: string): Promise<boolean> {
    const { count } = await this.prisma.connection.deleteMany({ where: { igUserId } });
    return count === 1;
  }

  async recordReveal(igUserId: string, apiKeyName: string): Promise<void> {
    await this.prisma.tokenReveal.create({ data: { igUserId, apiKeyName } });
  }
}

function tokenColumns(token: StoredToken) {
  return {
    tokenKind: token.kind,
    tokenCiphertext: new Uint8Array(token.ciphertext),
    tokenKeyId: token.keyId,
    tokenIssuedAt: token.issuedAt,
    expiresAt: token.expiresAt,
  };
}
