import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import type { UserNode } from '../instagram/instagram.wire.js';
import { AccountReads } from '../tokens/account-reads.js';
import { StoredTokenCalls } from '../tokens/stored-token-calls.js';
import { TokensService } from '../tokens/tokens.service.js';

export interface InstagramUser {
  igUserId: string;
  node: UserNode;
}

/** Bounds the answers kept under USERS_CACHE_TTL_MS; the oldest go first. */
const MAX_CACHED_USERS = 10_000;

@Injectable()
export class UsersService {
  private readonly reads: AccountReads<InstagramUser>;

  constructor(
    private readonly tokens: TokensService,
    private readonly instagram: InstagramClient,
    calls: StoredTokenCalls,
    config: ConfigService<AppConfig, true>,
  ) {
    this.reads = new AccountReads(tokens, calls, {
      ttlMs: config.get('users', { infer: true }).cacheTtlMs,
      maxEntries: MAX_CACHED_USERS,
    });
  }

  /**
   * Reads /me with the stored token; what it teaches about the account is kept. Concurrent
   * reads of one account share one call to Instagram (and its answer or problem).
   */
  getUser(igUserId: string): Promise<InstagramUser> {
    return this.reads.read(igUserId, 'me', async ({ connection, accessToken }) => {
      const node = await this.instagram.getUserNode(accessToken, { account: igUserId });
      await this.tokens.learnProfile(connection, node);
      return { igUserId, node };
    });
  }
}
