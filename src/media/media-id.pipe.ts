import { applyDecorators, Injectable, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { AppError, ErrorCode } from '../common/app-error.js';
import { isInstagramId, MAX_ID_DIGITS } from '../common/instagram-id.js';

/** Media ids are decimal digits; anything else is refused before Instagram is asked. */
@Injectable()
export class MediaIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!isInstagramId(value)) {
      throw new AppError(
        ErrorCode.ValidationFailed,
        `mediaId must be a string of 1 to ${MAX_ID_DIGITS} digits.`,
      );
    }
    return value;
  }
}

export function ApiMediaIdParam(): MethodDecorator {
  return applyDecorators(
    ApiParam({
      name: 'mediaId',
      description: 'Instagram media id (digits), as listed by GET /users/{igUserId}/media',
      example: '17895695668004551',
    }),
  );
}
