import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ProblemDto } from './problem.dto.js';

/** Documents the problems a route answers when Instagram fails (never a 500). */
export function ApiInstagramFailures(): MethodDecorator {
  return applyDecorators(
    ApiResponse({ status: 429, description: 'Instagram is rate limiting this app', type: ProblemDto }),
    ApiResponse({ status: 502, description: 'Instagram answered with something unexpected', type: ProblemDto }),
    ApiResponse({ status: 503, description: 'Instagram is unavailable', type: ProblemDto }),
    ApiResponse({ status: 504, description: 'Instagram did not answer in time', type: ProblemDto }),
  );
}
