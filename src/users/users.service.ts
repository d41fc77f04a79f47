import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SingleFlight } from '../common/single-flight.js';
import type { AppConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import type { UserNode } from '../instagram/instagram.wire.js';
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
  private readonly reads = new SingleFlight<string, InstagramUser>();
  private readonly cacheTtlMs: number;
  /** igUserId to an answer and the token it was read with; never the token itself. */
  private readonly cache = new Map<
    string,
    { user: InstagramUser; tokenIssuedAt: number; until: number }
  >();

  constructor(
    private readonly tokens: TokensService,
    private readonly instagram: InstagramClient,
    private readonly calls: StoredTokenCalls,
    config: ConfigService<AppConfig, true>,
  ) {
    this.cacheTtlMs = config.get('users', { infer: true }).cacheTtlMs;
  }

  /**
   * Reads /me with the stored token; what it teaches about the account is kept. Concurrent
   * reads of one account share one call to Instagram (and its answer or problem).
   */
  getUser(igUserId: string): Promise<InstagramUser> {
    return this.reads.run(igUserId, () => this.readUser(igUserId));
  }

  private async readUser(igUserId: string): Promise<InstagramUser> {
    const { connection, accessToken } = await this.tokens.usableToken(igUserId);
    const tokenIssuedAt = connection.tokenIssuedAt?.getTime() ?? 0;
    const cached = this.cache.get(igUserId);
    if (
      cached !== undefined &&
      cached.until > Date.now() &&
      cached.tokenIssuedAt === tokenIssuedAt
    ) {
      return cached.user;
    }
    const node = await this.calls.run(connection, () =>
      this.instagram.getUserNode(accessToken, { account: igUserId }),
    );
    await this.tokens.learnProfile(connection, node);
    const user = { igUserId, node };
    if (this.cacheTtlMs > 0) {
      this.cache.delete(igUserId);
      this.cache.set(igUserId, { user, tokenIssuedAt, until: Date.now() + this.cacheTtlMs });
      if (this.cache.size > MAX_CACHED_USERS) {
        this.cache.delete(this.cache.keys().next().value as string);
      }
    }
    return user;
  }
}
