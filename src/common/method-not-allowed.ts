import type { FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from './app-error.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/**
 * For a request no route matched: 405 with Allow when its path exists under other methods,
 * else undefined (a plain 404).
 */
export function methodNotAllowed(request: FastifyRequest): AppError | undefined {
  const path = request.url.split('?', 1)[0];
  const allowed = METHODS.filter(
    (method) =>
      method !== request.method && request.server.findRoute({ method, url: path }) !== null,
  );
  if (allowed.length === 0) {
    return undefined;
  }
  return new AppError(
    ErrorCode.MethodNotAllowed,
    `This path answers ${allowed.join(', ')}, not ${request.method}.`,
    { headers: { allow: allowed.join(', ') } },
  );
}
