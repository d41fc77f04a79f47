import { isObject, parseInstagramJson, readCount, readString } from './instagram-json.js';
import { InstagramError, InstagramFailure } from './instagram.errors.js';
import { isThrottleCode, throttleScope, throttleSeconds } from './throttle-signals.js';

const TRANSIENT_CODES = new Set([1, 2]);
const TOKEN_CODES = new Set([102, 190]);
const MAX_MESSAGE_LENGTH = 300;

type Headers = Record<string, unknown>;

/** Maps an unsuccessful answer (either of Instagram's two error shapes, or neither) to our error. */
export function mapErrorResponse(
  status: number,
  body: string,
  headers: Headers = {},
): InstagramError {
  let parsed: unknown;
  try {
    parsed = parseInstagramJson(body);
  } catch {
    parsed = undefined;
  }
  if (isObject(parsed) && isObject(parsed.error)) {
    return mapGraphError(status, parsed.error, headers);
  }
  if (isObject(parsed) && (parsed.error_type !== undefined || parsed.error_message !== undefined)) {
    return mapApiError(status, parsed, headers);
  }
  return mapBareStatus(status, headers);
}

function mapGraphError(
  status: number,
  error: Record<string, unknown>,
  headers: Headers,
): InstagramError {
  const code = readCount(error.code);
  const subcode = readCount(error.error_subcode);
  const details = {
    message: sanitize(readString(error.message) ?? 'no message'),
    code,
    subcode,
    httpStatus: status,
  };
  if (code !== undefined && TOKEN_CODES.has(code)) {
    return new InstagramError(InstagramFailure.TokenInvalid, details);
  }
  if (isThrottleCode(code) || status === 429) {
    return rateLimited(details, code, headers);
  }
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299)) {
    return new InstagramError(InstagramFailure.PermissionMissing, details);
  }
  if (
    (code !== undefined && TRANSIENT_CODES.has(code)) ||
    error.is_transient === true ||
    status >= 500
  ) {
    return new InstagramError(InstagramFailure.Unavailable, details);
  }
  return new InstagramError(InstagramFailure.Rejected, details);
}

function rateLimited(
  details: InstagramError['details'],
  code: number | undefined,
  headers: Headers,
): InstagramError {
  return new InstagramError(InstagramFailure.RateLimited, {
    ...details,
    retryAfterSeconds: throttleSeconds(headers),
    throttleScope: throttleScope(code, headers),
  });
}

/** api.instagram.com's shape: { error_type, code, error_message }. */
function mapApiError(
  status: number,
  error: Record<string, unknown>,
  headers: Headers,
): InstagramError {
  const code = readCount(error.code);
  const details = {
    message: sanitize(
      readString(error.error_message) ?? readString(error.error_type) ?? 'no message',
    ),
    code,
    httpStatus: status,
  };
  if (status >= 500 || (code !== undefined && code >= 500)) {
    return new InstagramError(InstagramFailure.Unavailable, details);
  }
  if (status === 429) {
    return rateLimited(details, undefined, headers);
  }
  return new InstagramError(InstagramFailure.Rejected, details);
}

function mapBareStatus(status: number, headers: Headers): InstagramError {
  const details = { message: `HTTP ${status} without an error body`, httpStatus: status };
  if (status === 429) {
    return rateLimited(details, undefined, headers);
  }
  if (status >= 500) {
    return new InstagramError(InstagramFailure.Unavailable, details);
  }
  return new InstagramError(InstagramFailure.BadResponse, details);
}

/** Instagram's messages do not carry tokens, but a long opaque run is scrubbed in case one does. */
function sanitize(message: string): string {
  return message.replace(/[A-Za-z0-9_-]{40,}/g, '[REDACTED]').slice(0, MAX_MESSAGE_LENGTH);
}

/** A failure below HTTP: no answer in time (our deadline passed), or no answer at all. */
export function mapTransportError(
  error: unknown,
  timeoutMs: number,
  deadlinePassed: boolean,
): InstagramError {
  const code = (error as { code?: unknown } | null)?.code;
  if (deadlinePassed || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return new InstagramError(InstagramFailure.Timeout, {
      message: `no answer within ${timeoutMs} ms`,
    });
  }
  return new InstagramError(InstagramFailure.Unavailable, {
    message: typeof code === 'string' ? `connection failed (${code})` : 'connection failed',
  });
}

/** undici's own timeouts (connect, headers, body) and the system's. */
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);
