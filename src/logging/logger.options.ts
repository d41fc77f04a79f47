import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { keepQueryParams } from '../common/redact.js';
import type { LogLevel } from '../config/app-config.js';

/**
 * Paths of log fields that could ever hold a secret. Requests are serialized by hand below
 * (no headers, an allow-listed query), so these are a second line for objects logged by code.
 */
export const REDACTED_PATHS = [
  'accessToken',
  'access_token',
  'token',
  'code',
  'state',
  'secret',
  'appSecret',
  'client_secret',
  'authorization',
  'signed_request',
  '*.accessToken',
  '*.access_token',
  '*.token',
  '*.code',
  '*.state',
  '*.secret',
  '*.client_secret',
  '*.authorization',
  // node-postgres hangs the client, with its connection settings, on some errors.
  'err.client',
  'req.headers',
  'res.headers',
];

/**
 * Query parameters whose values request logs keep: filters and paging, and Instagram's words
 * on a denied consent. Every other value is logged as [REDACTED], so a secret never reaches a
 * log line, whatever name a caller sends it under.
 */
export const LOGGED_QUERY_PARAMS: ReadonlySet<string> = new Set([
  'status',
  'ownerId',
  'limit',
  'cursor',
  // The Graph proxy's reads: fields, Instagram's paging cursors and insights' window.
  'fields',
  'after',
  'before',
  'metric',
  'period',
  'since',
  'until',
  'error',
  'error_reason',
  'error_description',
]);

/** One JSON object per line, with the request id on every line of a request. */
export function loggerOptions(level: LogLevel, stream?: DestinationStream): Params {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    serializers: {
      req: (request: { id: unknown; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        url: keepQueryParams(request.url, LOGGED_QUERY_PARAMS),
      }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
    },
  };
  return {
    pinoHttp: stream === undefined ? options : [options, stream],
    // Requests are logged by Fastify hooks (request-logging.ts), not by Nest's middleware.
    forRoutes: [],
  };
}
