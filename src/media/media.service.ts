import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import { InstagramError, InstagramFailure } from '../instagram/instagram.errors.js';
import type { MediaNode } from '../instagram/instagram.wire.js';
import { AccountReads } from '../tokens/account-reads.js';
import { StoredTokenCalls } from '../tokens/stored-token-calls.js';
import { TokensService } from '../tokens/tokens.service.js';
import { DEFAULT_MEDIA_PAGE_SIZE } from './dto/list-media.query.js';
import { decodeMediaCursor, encodeMediaCursor } from './media-cursor.js';

export interface MediaList {
  items: MediaNode[];
  nextCursor: string | null;
}

export interface MediaWithChildren {
  media: MediaNode;
  /** A carousel's items; undefined for anything else. */
  children?: MediaNode[];
}

/** Bounds the answers kept under USERS_CACHE_TTL_MS; the oldest go first. */
const MAX_CACHED_ANSWERS = 10_000;
/** Instagram's "object does not exist, cannot be loaded due to missing permissions". */
const NO_SUCH_OBJECT = { code: 100, subcode: 33 };

/** The account's posts, read with the stored token; callers never hold it. */
@Injectable()
export class MediaService {
  private readonly pages: AccountReads<MediaList>;
  private readonly objects: AccountReads<MediaWithChildren>;
  private readonly timeoutMs: number;

  constructor(
    tokens: TokensService,
    calls: StoredTokenCalls,
    private readonly instagram: InstagramClient,
    config: ConfigService<AppConfig, true>,
  ) {
    const cache = {
      ttlMs: config.get('users', { infer: true }).cacheTtlMs,
      maxEntries: MAX_CACHED_ANSWERS,
    };
    this.timeoutMs = config.get('instagram', { infer: true }).timeoutMs;
    this.pages = new AccountReads(tokens, calls, cache);
    this.objects = new AccountReads(tokens, calls, cache);
  }

  /** One page of posts, newest first; the cursor is the nextCursor of the page before. */
  listMedia(igUserId: string, query: { limit?: number; cursor?: string }): Promise<MediaList> {
    const limit = query.limit ?? DEFAULT_MEDIA_PAGE_SIZE;
    const after =
      query.cursor === undefined ? undefined : decodeMediaCursor(igUserId, query.cursor);
    if (query.cursor !== undefined && after === undefined) {
      throw new AppError(
        ErrorCode.ValidationFailed,
        'cursor is not one this service issued for this account.',
      );
    }
    const key = `media?limit=${limit}&after=${after ?? ''}`;
    return this.pages.read(igUserId, key, async ({ accessToken }) => {
      const page = await this.instagram.listMedia(
        accessToken,
        { limit, after },
        { account: igUserId },
      );
      return {
        items: page.items,
        nextCursor: page.after === undefined ? null : encodeMediaCursor(igUserId, page.after),
      };
    });
  }

  /** One post, with a carousel's items; both reads within one INSTAGRAM_TIMEOUT_MS. */
  getMedia(igUserId: string, mediaId: string): Promise<MediaWithChildren> {
    return this.objects.read(igUserId, `media/${mediaId}`, async ({ accessToken }) => {
      const deadline = Date.now() + this.timeoutMs;
      const media = await this.instagram
        .getMedia(accessToken, mediaId, { account: igUserId })
        .catch((error: unknown) => {
          throw isNoSuchObject(error) ? mediaNotFound(igUserId, mediaId) : error;
        });
      if (media.mediaType !== 'CAROUSEL_ALBUM') {
        return { media };
      }
      const children = await this.instagram.listChildren(accessToken, mediaId, {
        account: igUserId,
        timeoutMs: Math.max(1, deadline - Date.now()),
      });
      return { media, children };
    });
  }
}

function isNoSuchObject(error: unknown): boolean {
  return (
    error instanceof InstagramError &&
    error.failure === InstagramFailure.Rejected &&
    error.details.code === NO_SUCH_OBJECT.code &&
    error.details.subcode === NO_SUCH_OBJECT.subcode
  );
}

function mediaNotFound(igUserId: string, mediaId: string): AppError {
  return new AppError(
    ErrorCode.MediaNotFound,
    `Instagram has no media ${mediaId} that the account ${igUserId} may read.`,
  );
}
