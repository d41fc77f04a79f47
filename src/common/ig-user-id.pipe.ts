import { applyDecorators, Injectable, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { ApiProblemResponse } from './api-problem.decorator.js';
import { isInstagramId, MAX_ID_DIGITS } from './instagram-id.js';
import { AppError, ErrorCode } from './app-error.js';

/** Instagram user ids are decimal digits; anything else is refused before any lookup. */
@Injectable()
export class IgUserIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isInstagramId(value)) {
      throw new AppError(
        ErrorCode.ValidationFailed,
        `igUserId must be a string of 1 to ${MAX_ID_DIGITS} digits.`,
      );
    }
    return value;
  }
}

/** Documents the :igUserId path parameter IgUserIdPipe checks, and its refusal. */
export function ApiIgUserIdParam(): MethodDecorator {
  return applyDecorators(
    ApiParam({
      name: 'igUserId',
      description: 'Instagram user id of the connection (digits)',
      example: '17841400000000001',
    }),
    ApiProblemResponse(400, 'igUserId is not a string of digits'),
  );
}
