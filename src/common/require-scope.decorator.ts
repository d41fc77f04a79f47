import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { ApiScope } from '../config/app-config.js';
import { ProblemDto } from './problem.dto.js';

export const REQUIRED_SCOPE = 'vault:requiredScope';

/** The API key scope a route needs; documents the 401 and 403 it may answer. */
export function RequireScope(scope: ApiScope): MethodDecorator {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPE, scope),
    ApiBearerAuth('apiKey'),
    ApiUnauthorizedResponse({ description: 'No or unknown API key', type: ProblemDto }),
    ApiForbiddenResponse({ description: `The API key lacks the ${scope} scope`, type: ProblemDto }),
  );
}
