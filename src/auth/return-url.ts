import { AppError, ErrorCode } from '../common/app-error.js';

/** Accepts a return URL only on an allowed origin (no open redirect). */
export function checkReturnTo(returnTo: string, allowedOrigins: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(returnTo);
  } catch {
    throw new AppError(ErrorCode.InvalidReturnTo, 'The return URL must be an absolute URL.');
  }
  if (
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    !allowedOrigins.includes(url.origin)
  ) {
    throw new AppError(
      ErrorCode.InvalidReturnTo,
      allowedOrigins.length === 0
        ? 'No return URL is allowed: AUTH_RETURN_TO_ORIGINS is empty.'
        : `The return URL's origin ${url.origin} is not in AUTH_RETURN_TO_ORIGINS.`,
    );
  }
  return url.toString();
}

/** The parameters that carry a flow's outcome; only the service may set them. */
export const OUTCOME_PARAMS = ['status', 'ig_user_id', 'error'] as const;

/**
 * The return URL with the flow's outcome in its query. Its own parameters are kept, except
 * outcome parameters already there: a return URL could otherwise arrive pre-set with
 * `status=connected&ig_user_id=...` beside a real error.
 */
export function withOutcome(returnTo: string, outcome: Record<string, string>): string {
  const url = new URL(returnTo);
  for (const name of OUTCOME_PARAMS) {
    url.searchParams.delete(name);
  }
  for (const [name, value] of Object.entries(outcome)) {
    url.searchParams.set(name, value);
  }
  return url.toString();
}
