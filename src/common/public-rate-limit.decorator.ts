import { applyDecorators, UseGuards } from '@nestjs/common';
import { ApiProblemResponse } from './api-problem.decorator.js';
import { PublicRateLimitGuard } from './rate-limit.guard.js';

/** Browser- and Meta-facing routes: limited per client address (RATE_LIMIT_PER_MINUTE). */
export function PublicRateLimit(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    UseGuards(PublicRateLimitGuard),
    ApiProblemResponse(429, 'Too many requests from this address (see Retry-After)'),
  );
}
