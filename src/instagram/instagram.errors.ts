import type { ThrottleScope } from './throttle-signals.js';

export enum InstagramFailure {
  /** Instagram refused our input: a bad or used code, a wrong redirect_uri, an unknown field. */
  Rejected = 'rejected',
  /** The token is invalid, expired or its permission withdrawn (code 190, 102). */
  TokenInvalid = 'token_invalid',
  PermissionMissing = 'permission_missing',
  RateLimited = 'rate_limited',
  Unavailable = 'unavailable',
  Timeout = 'timeout',
  /** A success status with a body we cannot read. */
  BadResponse = 'bad_response',
}

export interface InstagramErrorDetails {
  /** Instagram's own message, safe to show (never contains a token). */
  message: string;
  code?: number;
  subcode?: number;
  httpStatus?: number;
  retryAfterSeconds?: number;
  /** For a rate limit: whether Instagram limits the whole app or the one account. */
  throttleScope?: ThrottleScope;
}

/** The Instagram client's only error type; nothing above it knows Instagram's wire formats. */
export class InstagramError extends Error {
  constructor(
    readonly failure: InstagramFailure,
    readonly details: InstagramErrorDetails,
  ) {
    super(`Instagram ${failure}: ${details.message}`);
    this.name = 'InstagramError';
  }

  /** Code 190 subcode 463: the token's time ran out (rather than being withdrawn). */
  get tokenExpired(): boolean {
    return this.failure === InstagramFailure.TokenInvalid && this.details.subcode === 463;
  }
}
