import { InstagramError, InstagramFailure } from '../instagram/instagram.errors.js';
import { AppError, ErrorCode } from './app-error.js';

const CODES: Record<InstagramFailure, ErrorCode> = {
  [InstagramFailure.Rejected]: ErrorCode.InstagramRejected,
  [InstagramFailure.TokenInvalid]: ErrorCode.InstagramTokenInvalid,
  [InstagramFailure.PermissionMissing]: ErrorCode.InstagramPermissionMissing,
  [InstagramFailure.RateLimited]: ErrorCode.InstagramRateLimited,
  [InstagramFailure.Unavailable]: ErrorCode.InstagramUnavailable,
  [InstagramFailure.Timeout]: ErrorCode.InstagramTimeout,
  [InstagramFailure.BadResponse]: ErrorCode.InstagramBadResponse,
};

/** Instagram's failure in our terms; Instagram's own HTTP status never passes through. */
export function instagramToAppError(error: InstagramError): AppError {
  const code = CODES[error.failure];
  const detail =
    error.failure === InstagramFailure.Timeout || error.failure === InstagramFailure.BadResponse
      ? `Instagram: ${error.details.message}.`
      : `Instagram said: ${error.details.message}`;
  return new AppError(code, detail, {
    cause: error,
    retryAfterSeconds:
      error.details.retryAfterSeconds ??
      (error.failure === InstagramFailure.Unavailable ? 30 : undefined),
    extensions:
      error.details.code !== undefined ? { instagramCode: error.details.code } : undefined,
  });
}

/**
 * For calls the service makes with a stored token (refresh, user node): Instagram refusing
 * our own request is a bad gateway, not the caller's bad input.
 */
export function asUpstreamFailure(error: unknown): unknown {
  if (error instanceof InstagramError && error.failure === InstagramFailure.Rejected) {
    const mapped = instagramToAppError(error);
    return new AppError(mapped.code, mapped.detail, { ...mapped.options, status: 502 });
  }
  return error;
}

/** Any thrown value as an AppError when it is one of ours or Instagram's; else undefined. */
export function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) {
    return error;
  }
  return error instanceof InstagramError ? instagramToAppError(error) : undefined;
}
