export interface EmulatorApp {
  appId: string;
  appSecret: string;
  redirectUris: string[];
}

export type EmulatorOperation =
  | 'authorize'
  | 'exchange_code'
  | 'exchange_long_lived'
  | 'refresh'
  | 'me'
  | 'media'
  | 'media_object'
  | 'media_children'
  | 'insights';

export type ExchangeResponseShape = 'flat' | 'data' | 'flat_permissions_array';

export type EmulatorFault =
  | { operation: EmulatorOperation; kind: 'transient' }
  | ({ operation: EmulatorOperation; kind: 'rate_limited' } & EmulatorThrottle)
  | { operation: EmulatorOperation; kind: 'unavailable' }
  | { operation: EmulatorOperation; kind: 'delay'; ms: number }
  | { operation: EmulatorOperation; kind: 'drop' }
  | {
      operation: EmulatorOperation;
      kind: 'http';
      status: number;
      body: string;
      contentType?: string;
    };

/**
 * How a throttled answer looks. Code 4 limits the app (X-App-Usage at 100%); 17, 32, 613 and
 * 80002 limit the account (X-Business-Use-Case-Usage keyed by its id, at 100%).
 */
export interface EmulatorThrottle {
  /** Graph error code; 4 by default. */
  code?: number;
  /** HTTP status; 400 by default (Meta also answers 429). */
  status?: number;
  /** Sent as Retry-After when set. */
  retryAfterSeconds?: number;
  /** estimated_time_to_regain_access, in minutes, in the business use case header. */
  regainMinutes?: number;
}

/** Usage headers sent with every graph answer (percent of each budget). */
export interface EmulatorUsage {
  app?: { callCount: number; totalTime?: number; totalCputime?: number };
  account?: {
    callCount: number;
    totalTime?: number;
    totalCputime?: number;
    regainMinutes?: number;
  };
}

export interface EmulatorAccount {
  /** The id the code exchange returns: an odd decimal above 2^53, so JSON.parse corrupts it. */
  userId: string;
  /** `/me` `id`. */
  appScopedId: string;
  /** `/me` `user_id`. */
  professionalId: string;
  username: string;
  name: string;
  accountType: 'BUSINESS' | 'MEDIA_CREATOR' | 'PERSONAL';
  profilePictureUrl: string;
  followersCount: number;
  followsCount: number;
  mediaCount: number;
}

export type EmulatorAccountOverrides = Partial<
  Omit<EmulatorAccount, 'userId' | 'appScopedId' | 'professionalId'>
> & {
  /** The account's posts, newest first: how many (made up), or each described; a few by default. */
  posts?: number | EmulatorPostSpec[];
};

export type EmulatorMediaType = 'IMAGE' | 'VIDEO' | 'CAROUSEL_ALBUM';

/** A post to make; anything left out is made up. */
export interface EmulatorPostSpec {
  mediaType?: EmulatorMediaType;
  /** null: a post without a caption. */
  caption?: string | null;
  /** For a carousel: its items' types (three pictures and a video by default). */
  children?: ('IMAGE' | 'VIDEO')[];
  /** A video flagged for copyright: Instagram leaves media_url out. */
  withholdMediaUrl?: boolean;
  /** The owner hides likes: Instagram leaves like_count out. */
  hideLikes?: boolean;
}

/** A media object as Instagram keeps it. */
export interface EmulatorMedia {
  id: string;
  /** The account (its userId) that posted it. */
  ownerUserId: string;
  /** Set on a carousel's items. */
  parentId?: string;
  mediaType: EmulatorMediaType;
  mediaProductType: 'FEED' | 'REELS';
  caption?: string;
  mediaUrl?: string;
  thumbnailUrl?: string;
  permalink: string;
  /** On the emulator's clock. */
  timestamp: number;
  likeCount?: number;
  commentsCount: number;
  childIds?: string[];
  /** Sent as a bare JSON number (every other media), so a client must read ids losslessly. */
  idAsNumber: boolean;
}

export interface EmulatorCall {
  operation: EmulatorOperation;
  /** Arrival time on the emulator's clock. */
  at: number;
  /** The HTTP status sent; 0 when the connection was dropped. */
  status: number;
  accessToken?: string;
}

export interface EmulatorTokenState {
  kind: 'short_lived' | 'long_lived';
  userId: string;
  expiresAt: number;
  issuedAt: number;
  revoked: boolean;
}

/** What a handler answers; the server writes it and records the call. */
export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}
