import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { keepQueryParams } from '../common/redact.js';
import type { LogLevel } from '../config/app-config.js';
import { redactSecrets, serializeError } from './log-redaction.js';

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
    // Requests are serialized by hand below (no headers, an allow-listed query); objects logged
    // by code have their secret fields replaced (log-redaction.ts), a second line behind both.
    // Not the bindings: pino formats only the root's (pid, hostname), and the one child, each
    // request's, binds the request, which the `req` serializer reduces to an allow-list.
    formatters: { log: redactSecrets },
    // The serializers below get the request and the answer as they are: pino-http's wrapping
    // would first copy every header of each into an object of its own, to be thrown away.
    wrapSerializers: false,
    serializers: {
      err: serializeError,
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
