import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { ApiScope } from '../config/app-config.js';
import { ApiProblemResponse } from './api-problem.decorator.js';

export const REQUIRED_SCOPE = 'vault:requiredScope';

/** The API key scope a route needs; documents the 401 and 403 it may answer. */
export function RequireScope(scope: ApiScope): MethodDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPE, scope),
    ApiBearerAuth('apiKey'),
    ApiProblemResponse(401, 'No or unknown API key'),
    ApiProblemResponse(403, `The API key lacks the ${scope} scope`),
  );
}
