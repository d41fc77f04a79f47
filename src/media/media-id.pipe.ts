import { applyDecorators, Injectable, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { AppError, ErrorCode } from '../common/app-error.js';

/** Media ids are decimal digits; anything else is refused before Instagram is asked. */
@Injectable()
export class MediaIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^\d{1,32}$/.test(value)) {
      throw new AppError(ErrorCode.ValidationFailed, 'mediaId must be a string of digits.');
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
