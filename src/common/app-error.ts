/** Stable problem codes of the contract; callers branch on these, never on titles. */
export enum ErrorCode {
  ValidationFailed = 'validation_failed',
  MalformedRequest = 'malformed_request',
  Unauthorized = 'unauthorized',
  Forbidden = 'forbidden',
  NotFound = 'not_found',
  MethodNotAllowed = 'method_not_allowed',
  RateLimited = 'rate_limited',
  PayloadTooLarge = 'payload_too_large',
  UnsupportedMediaType = 'unsupported_media_type',
  RequestTimeout = 'request_timeout',
  UriTooLong = 'uri_too_long',
  HeadersTooLarge = 'headers_too_large',
  ConnectionNotFound = 'connection_not_found',
  ConnectionNotActive = 'connection_not_active',
  OwnerConflict = 'owner_conflict',
  InvalidState = 'invalid_state',
  InvalidReturnTo = 'invalid_return_to',
  AccessDenied = 'access_denied',
  RefreshNotAllowed = 'refresh_not_allowed',
  RefreshInProgress = 'refresh_in_progress',
  InvalidSignedRequest = 'invalid_signed_request',
  DeletionRequestNotFound = 'deletion_request_not_found',
  DeletionRecordPruned = 'deletion_record_pruned',
  MediaNotFound = 'media_not_found',
  GraphPathNotAllowed = 'graph_path_not_allowed',
  InstagramRejected = 'instagram_rejected',
  InstagramTokenInvalid = 'instagram_token_invalid',
  InstagramPermissionMissing = 'instagram_permission_missing',
  InstagramRateLimited = 'instagram_rate_limited',
  InstagramUnavailable = 'instagram_unavailable',
  InstagramBadResponse = 'instagram_bad_response',
  InstagramTimeout = 'instagram_timeout',
  EncryptionKeyMissing = 'encryption_key_missing',
  DatabaseUnavailable = 'database_unavailable',
  NotReady = 'not_ready',
  InternalError = 'internal_error',
}

const STATUS_AND_TITLE: Record<ErrorCode, [number, string]> = {
  [ErrorCode.ValidationFailed]: [400, 'The request is not valid'],
  [ErrorCode.MalformedRequest]: [400, 'The request is malformed'],
  [ErrorCode.Unauthorized]: [401, 'An API key is required'],
  [ErrorCode.Forbidden]: [403, 'The API key lacks a scope'],
  [ErrorCode.NotFound]: [404, 'No such route'],
  [ErrorCode.MethodNotAllowed]: [405, 'Method not allowed'],
  [ErrorCode.RateLimited]: [429, 'Too many requests'],
  [ErrorCode.PayloadTooLarge]: [413, 'The request body is too large'],
  [ErrorCode.UnsupportedMediaType]: [415, 'Unsupported content type'],
  [ErrorCode.RequestTimeout]: [408, 'The request took too long to arrive'],
  [ErrorCode.UriTooLong]: [414, 'The URL is too long'],
  [ErrorCode.HeadersTooLarge]: [431, 'The request headers are too large'],
  [ErrorCode.ConnectionNotFound]: [404, 'No such connection'],
  [ErrorCode.ConnectionNotActive]: [409, 'The connection is not active'],
  [ErrorCode.OwnerConflict]: [409, 'The account is connected under another owner'],
  [ErrorCode.InvalidState]: [400, 'The authorization state is not valid'],
  [ErrorCode.InvalidReturnTo]: [400, 'The return URL is not allowed'],
  [ErrorCode.AccessDenied]: [403, 'The person declined the authorization'],
  [ErrorCode.RefreshNotAllowed]: [409, 'Instagram would refuse this refresh'],
  [ErrorCode.RefreshInProgress]: [409, 'The token is being refreshed right now'],
  [ErrorCode.InvalidSignedRequest]: [400, 'The signed request from Meta is not valid'],
  [ErrorCode.DeletionRequestNotFound]: [404, 'No such data deletion request'],
  [ErrorCode.DeletionRecordPruned]: [410, 'The deletion was done; its record has been removed'],
  [ErrorCode.MediaNotFound]: [404, 'No such media on this account'],
  [ErrorCode.GraphPathNotAllowed]: [403, 'The Graph path is not one the proxy forwards'],
  [ErrorCode.InstagramRejected]: [400, 'Instagram rejected the request'],
  [ErrorCode.InstagramTokenInvalid]: [409, 'Instagram no longer accepts the stored token'],
  [ErrorCode.InstagramPermissionMissing]: [403, 'The Instagram permission was not granted'],
  [ErrorCode.InstagramRateLimited]: [429, 'Instagram is rate limiting this app'],
  [ErrorCode.InstagramUnavailable]: [503, 'Instagram is unavailable'],
  [ErrorCode.InstagramBadResponse]: [502, 'Instagram answered with something unexpected'],
  [ErrorCode.InstagramTimeout]: [504, 'Instagram did not answer in time'],
  [ErrorCode.EncryptionKeyMissing]: [
    500,
    'The token was encrypted under a key that is not configured',
  ],
  [ErrorCode.DatabaseUnavailable]: [503, 'The database is unavailable'],
  [ErrorCode.NotReady]: [503, 'The service is not ready'],
  [ErrorCode.InternalError]: [500, 'Internal error'],
};

export interface AppErrorOptions {
  /** Overrides the code's usual status, where the same code means another party's fault. */
  status?: number;
  /** Seconds until a retry makes sense; sent as Retry-After. */
  retryAfterSeconds?: number;
  /** Extra response headers, such as WWW-Authenticate. */
  headers?: Record<string, string>;
  /** Extra problem members, such as per-field validation errors. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** A domain error with a contract code; the one exception filter turns it into a problem. */
export class AppError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'AppError';
    [this.status, this.title] = STATUS_AND_TITLE[code];
    this.status = options.status ?? this.status;
  }
}

export function problemTitle(code: ErrorCode): string {
  return STATUS_AND_TITLE[code][1];
}

export function problemStatus(code: ErrorCode): number {
  return STATUS_AND_TITLE[code][0];
}

/**
 * An error of a lower layer that knows its problem (the Instagram client's, for one): the
 * filter asks it, so common/ needs to know no feature's error types.
 */
export interface ProblemSource {
  toAppError(): AppError;
}

/** Any thrown value as an AppError when it is one of ours or knows its problem; else undefined. */
export function asAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) {
    return error;
  }
  return isProblemSource(error) ? error.toAppError() : undefined;
}

function isProblemSource(error: unknown): error is ProblemSource {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as Partial<ProblemSource>).toAppError === 'function'
  );
}
