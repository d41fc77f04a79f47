import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { redactUrl } from '../common/redact.js';
import type { LogLevel } from '../config/app-config.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Paths of log fields that could ever hold a secret. Requests are serialized by hand below
 * (no headers, redacted query), so these are a second line for objects logged by code.
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
  'req.headers',
  'res.headers',
];

/** One JSON object per line, with the request id on every line of a request. */
export function loggerOptions(level: LogLevel, stream?: DestinationStream): Params {
  const options = {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    genReqId: (request: IncomingMessage, response: ServerResponse): string => {
      const given = request.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      response.setHeader('x-request-id', id);
      return id;
    },
    serializers: {
      req: (request: { id: unknown; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        url: redactUrl(request.url),
      }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
    },
    customSuccessMessage: (request: IncomingMessage, response: ServerResponse) =>
      `${request.method} ${response.statusCode}`,
    customErrorMessage: (request: IncomingMessage, response: ServerResponse) =>
      `${request.method} ${response.statusCode}`,
  };
  return { pinoHttp: stream === undefined ? options : [options, stream] };
}
