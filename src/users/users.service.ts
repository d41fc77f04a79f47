import { Injectable } from '@nestjs/common';
import { InstagramClient } from '../instagram/instagram.client.js';
import type { UserNode } from '../instagram/instagram.wire.js';
import { StoredTokenCalls } from '../tokens/stored-token-calls.js';
import { TokensService } from '../tokens/tokens.service.js';

export interface InstagramUser {
  igUserId: string;
  node: UserNode;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly tokens: TokensService,
    private readonly instagram: InstagramClient,
    private readonly calls: StoredTokenCalls,
  ) {}

  /** Reads /me with the stored token; what it teaches about the account is kept. */
  async getUser(igUserId: string): Promise<InstagramUser> {
    const { connection, accessToken } = await this.tokens.usableToken(igUserId);
    const node = await this.calls.run(connection, () =>
      this.instagram.getUserNode(accessToken, { account: igUserId }),
    );
    await this.tokens.learnProfile(connection, node);
    return { igUserId, node };
  }
}
