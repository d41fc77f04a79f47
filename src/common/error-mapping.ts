import { HttpException } from '@nestjs/common';
import { isDatabaseInputRejection, isDatabaseUnavailable } from '../database/database-errors.js';
import { AppError, asAppError, ErrorCode, problemStatus, problemTitle } from './app-error.js';
import { type Problem, problemType } from './problem.js';

export interface MappedError {
  problem: Problem;
  headers: Record<string, string>;
  /** Whether the failure is ours (logged at error with its stack) rather than the caller's. */
  unexpected: boolean;
}

/** The pool probes every second; a few seconds covers a restart without a retry storm. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

const HTTP_STATUS_CODES: Record<number, ErrorCode> = {
  400: ErrorCode.ValidationFailed,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  408: ErrorCode.RequestTimeout,
  413: ErrorCode.PayloadTooLarge,
  414: ErrorCode.UriTooLong,
  415: ErrorCode.UnsupportedMediaType,
  429: ErrorCode.RateLimited,
  431: ErrorCode.HeadersTooLarge,
};

/** Errors Fastify's router and Node's HTTP parser raise before any route runs, by their code. */
const TRANSPORT_ERROR_CODES: Record<string, ErrorCode> = {
  FST_ERR_MAX_PARAM_LENGTH: ErrorCode.UriTooLong,
  FST_ERR_BAD_URL: ErrorCode.MalformedRequest,
  ERR_HTTP_REQUEST_TIMEOUT: ErrorCode.RequestTimeout,
  HPE_HEADER_OVERFLOW: ErrorCode.HeadersTooLarge,
};

/** Turns anything thrown into the one problem shape; nothing internal leaks from a 500. */
export function mapError(error: unknown): MappedError {
  const appError = asAppError(error);
  if (appError !== undefined) {
    return fromAppError(appError);
  }
  const status = statusOf(error);
  const code = status === undefined ? undefined : HTTP_STATUS_CODES[status];
  if (code !== undefined) {
    return { problem: build(code, detailOf(error, code)), headers: {}, unexpected: false };
  }
  if (isDatabaseUnavailable(error)) {
    return {
      problem: build(
        ErrorCode.DatabaseUnavailable,
        'The database did not answer; try again shortly.',
      ),
      headers: retryAfter(DATABASE_RETRY_AFTER_SECONDS),
      unexpected: false,
    };
  }
  if (isDatabaseInputRejection(error)) {
    return {
      problem: build(
        ErrorCode.ValidationFailed,
        'A value in the request cannot be stored (for example, it holds a NUL character).',
      ),
      headers: {},
      unexpected: false,
    };
  }

  return {
    problem: build(ErrorCode.InternalError, 'Something went wrong on our side.'),
    headers: {},
    unexpected: true,
  };
}

/**
 * An error Fastify's router or Node's HTTP parser raised before any route ran (never a database
 * failure, whatever its code says): a bad request of some kind.
 */
export function mapTransportError(error: unknown): MappedError {
  const code = transportErrorCode(error) ?? ErrorCode.MalformedRequest;
  return { problem: build(code, detailOf(error, code)), headers: {}, unexpected: false };
}

function fromAppError(error: AppError): MappedError {
  return {
    problem: { ...build(error.code, error.detail, error.options.extensions), status: error.status },
    headers: { ...error.options.headers, ...retryAfter(error.options.retryAfterSeconds) },
    unexpected:
      error.status >= 500 &&
      error.code !== ErrorCode.NotReady &&
      error.code !== ErrorCode.DatabaseUnavailable &&
      !error.code.startsWith('instagram_'),
  };
}

function build(code: ErrorCode, detail: string, extensions: Record<string, unknown> = {}): Problem {
  return {
    type: problemType(code),
    title: problemTitle(code),
    status: problemStatus(code),
    detail,
    code,
    ...extensions,
  };
}

function retryAfter(seconds: number | undefined): Record<string, string> {
  return seconds === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(seconds))) };
}

function transportErrorCode(error: unknown): ErrorCode | undefined {
  const code =
    typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : '';
  if (typeof code !== 'string') {
    return undefined;
  }
  // Any other complaint of Node's HTTP parser (HPE_*) is a request it could not read.
  return (
    TRANSPORT_ERROR_CODES[code] ??
    (code.startsWith('HPE_') ? ErrorCode.MalformedRequest : undefined)
  );
}

/** Nest's HttpException and Fastify's own errors (body parsing, limits) carry a status. */
function statusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) {
    return error.getStatus();
  }
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const status = error.statusCode;
    return typeof status === 'number' ? status : undefined;
  }
  return undefined;
}

function detailOf(error: unknown, code: ErrorCode): string {
  switch (code) {
    case ErrorCode.NotFound:
      return 'No route matches this method and path.';
    case ErrorCode.PayloadTooLarge:
      return 'The request body exceeds the size limit.';
    case ErrorCode.RateLimited:
      return 'Too many requests from this address; wait for Retry-After seconds.';
    case ErrorCode.UnsupportedMediaType:
      return 'Send application/json (or a form where the route takes one).';
    case ErrorCode.UriTooLong:
      return 'A path segment is longer than any this service accepts.';
    case ErrorCode.MalformedRequest:
      return 'The request is not well-formed HTTP with a valid URL.';
    case ErrorCode.RequestTimeout:
      return 'The request did not arrive in time; the connection is closed.';
    case ErrorCode.HeadersTooLarge:
      return 'The request line and headers together exceed 16 KiB.';
    case ErrorCode.ValidationFailed:
      return isFastifyBodyError(error) ? 'The request body is not valid JSON.' : messageOf(error);
    default:
      return problemTitle(code) + '.';
  }
}

/**
 * Fastify's body errors (Nest wraps them, as the cause of an HttpException), and JSON.parse's
 * SyntaxError (by name: it may come from another realm).
 */
function isFastifyBodyError(error: unknown): boolean {
  const { code, name, cause } = error as { code?: unknown; name?: unknown; cause?: unknown };
  if (name === 'SyntaxError' || (typeof code === 'string' && code.startsWith('FST_ERR_CTP'))) {
    return true;
  }
  return typeof cause === 'object' && cause !== null && isFastifyBodyError(cause);
}

function messageOf(error: unknown): string {
  if (error instanceof HttpException) {
    const response = error.getResponse();
    if (typeof response === 'object' && response !== null && 'message' in response) {
      const message = response.message;
      return Array.isArray(message) ? message.join('; ') : String(message);
    }
  }
  return 'The request is not valid.';
}
