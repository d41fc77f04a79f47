import { Injectable, type PipeTransform } from '@nestjs/common';
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
