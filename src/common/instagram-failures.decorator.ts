import { applyDecorators } from '@nestjs/common';
import { ApiProblemResponse } from './api-problem.decorator.js';

/** Documents the problems a route answers when Instagram fails (never a 500). */
export function ApiInstagramFailures(): MethodDecorator {
  return applyDecorators(
    ApiProblemResponse(429, 'Instagram is rate limiting this app'),
    ApiProblemResponse(502, 'Instagram answered with something unexpected'),
    ApiProblemResponse(503, 'Instagram is unavailable'),
    ApiProblemResponse(504, 'Instagram did not answer in time'),
  );
}

/** Documents the problems of a route that calls Instagram with a connection's stored token. */
export function ApiStoredTokenFailures(): MethodDecorator {
  return applyDecorators(
    ApiProblemResponse(
      409,
      'The connection is not active, or Instagram rejected its token (now invalid)',
    ),
    ApiInstagramFailures(),
  );
}
