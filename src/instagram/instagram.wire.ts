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
