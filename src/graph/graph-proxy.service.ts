import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import { InstagramError, InstagramFailure } from '../instagram/instagram.errors.js';
import { AccountReads } from '../tokens/account-reads.js';
import { StoredTokenCalls } from '../tokens/stored-token-calls.js';
import { TokensService } from '../tokens/tokens.service.js';
import { GraphPathPatterns } from './graph-paths.js';
import { type GraphRequest, readGraphRequest } from './graph-request.js';
import { type ProxiedAnswer, toProxiedAnswer } from './proxied-answer.js';

/** Bounds what USERS_CACHE_TTL_MS keeps of proxied answers; the oldest go first. */
const MAX_CACHED_ANSWERS = 10_000;
const MAX_CACHED_CHARACTERS = 32 * 1024 * 1024;

/**
 * Graph reads for callers who never hold the token: only allowed paths, the stored token added
 * here, Instagram's answer passed on byte for byte except its links, which point back here.
 */
@Injectable()
export class GraphProxyService {
  private readonly patterns: GraphPathPatterns;
  private readonly reads: AccountReads<ProxiedAnswer>;

  constructor(
    tokens: TokensService,
    calls: StoredTokenCalls,
    private readonly instagram: InstagramClient,
    config: ConfigService<AppConfig, true>,
  ) {
    this.patterns = new GraphPathPatterns(config.get('graphProxy', { infer: true }).paths);
    this.reads = new AccountReads(tokens, calls, {
      ttlMs: config.get('users', { infer: true }).cacheTtlMs,
      maxEntries: MAX_CACHED_ANSWERS,
      maxWeight: MAX_CACHED_CHARACTERS,
      weigh: (answer) => answer.size,
    });
  }

  /** The path and query of a raw request URL under /graph/{igUserId}/, checked. */
  parse(rawUrl: string): GraphRequest {
    return readGraphRequest(rawUrl, this.patterns);
  }

  read(igUserId: string, request: GraphRequest): Promise<ProxiedAnswer> {
    const path = request.segments.join('/');
    const key = `${path}?${new URLSearchParams(request.query).toString()}`;
    return this.reads.read(igUserId, key, async ({ connection, accessToken }) => {
      const answer = await this.instagram
        .readGraph(accessToken, request, { account: igUserId })
        .catch((error: unknown) => {
          throw callersRequest(error);
        });
      return toProxiedAnswer(answer, {
        igUserId,
        ids: [igUserId, connection.appScopedId, connection.professionalId],
        askedPath: path,
      });
    });
  }
}

/**
 * Instagram refusing a proxied read refuses what the caller asked for (a field, a metric):
 * the caller's 400, not a bad gateway as for the vault's own calls.
 */
function callersRequest(error: unknown): unknown {
  return error instanceof InstagramError && error.failure === InstagramFailure.Rejected
    ? error.toAppError()
    : error;
}
