/** The code exchange's answer, whichever of Instagram's three shapes it came in. */
export interface ShortLivedToken {
  accessToken: string;
  /** The exchange's user_id: the connection key, exact digits. */
  userId: string;
  /** Granted scopes when Instagram says; otherwise unknown. */
  permissions?: string[];
  /** When Instagram says; short-lived tokens otherwise live one hour. */
  expiresInSeconds?: number;
}

export interface LongLivedToken {
  accessToken: string;
  expiresInSeconds: number;
}

/** /me, flat, with only what Instagram gave. */
export interface UserNode {
  /** /me `id`: the app-scoped id. */
  id?: string;
  /** /me `user_id`: the professional account id. */
  userId?: string;
  username?: string;
  name?: string;
  accountType?: string;
  profilePictureUrl?: string;
  followersCount?: number;
  followsCount?: number;
  mediaCount?: number;
}

/** A media object with only what Instagram gave (it withholds some fields, say media_url). */
export interface MediaNode {
  /** Exact digits, whether Instagram sent a string or a number. */
  id: string;
  caption?: string;
  /** IMAGE, VIDEO or CAROUSEL_ALBUM. */
  mediaType?: string;
  /** FEED, STORY, REELS, AD. */
  mediaProductType?: string;
  mediaUrl?: string;
  thumbnailUrl?: string;
  permalink?: string;
  timestamp?: Date;
  username?: string;
  likeCount?: number;
  commentsCount?: number;
}

/** One page of /me/media; `after` is Instagram's cursor of the next page, when there is one. */
export interface MediaPage {
  items: MediaNode[];
  after?: string;
}

/** A link to Instagram's Graph found in an answer, as a path and a query without credentials. */
export interface GraphLink {
  /** The path below the version, e.g. `17841400000000001/media`, as Instagram wrote it. */
  path: string;
  query: [string, string][];
}

/**
 * A Graph answer cut at its links: the JSON text with every string that was a link to Instagram's
 * Graph (paging.next, paging.previous) taken out and described instead. Holds no token.
 */
export interface GraphAnswer {
  parts: (string | GraphLink)[];
}
