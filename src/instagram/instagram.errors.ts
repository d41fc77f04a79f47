import { AppError, ErrorCode, type ProblemSource } from '../common/app-error.js';
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

const CODES: Record<InstagramFailure, ErrorCode> = {
  [InstagramFailure.Rejected]: ErrorCode.InstagramRejected,
  [InstagramFailure.TokenInvalid]: ErrorCode.InstagramTokenInvalid,
  [InstagramFailure.PermissionMissing]: ErrorCode.InstagramPermissionMissing,
  [InstagramFailure.RateLimited]: ErrorCode.InstagramRateLimited,
  [InstagramFailure.Unavailable]: ErrorCode.InstagramUnavailable,
  [InstagramFailure.Timeout]: ErrorCode.InstagramTimeout,
  [InstagramFailure.BadResponse]: ErrorCode.InstagramBadResponse,
};

/** The Instagram client's only error type; nothing above it knows Instagram's wire formats. */
export class InstagramError extends Error implements ProblemSource {
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

  /** The failure in our terms; Instagram's own HTTP status never passes through. */
  toAppError(): AppError {
    const detail =
      this.failure === InstagramFailure.Timeout || this.failure === InstagramFailure.BadResponse
        ? `Instagram: ${this.details.message}.`
        : `Instagram said: ${this.details.message}`;
    return new AppError(CODES[this.failure], detail, {
      cause: this,
      retryAfterSeconds:
        this.details.retryAfterSeconds ??
        (this.failure === InstagramFailure.Unavailable ? 30 : undefined),
      extensions:
        this.details.code !== undefined ? { instagramCode: this.details.code } : undefined,
    });
  }
}

/**
 * For calls the service makes with a stored token (refresh, user node): Instagram refusing
 * our own request is a bad gateway, not the caller's bad input.
 */
export function asUpstreamFailure(error: unknown): unknown {
  if (error instanceof InstagramError && error.failure === InstagramFailure.Rejected) {
    const mapped = error.toAppError();
    return new AppError(mapped.code, mapped.detail, { ...mapped.options, status: 502 });
  }
  return error;
}
