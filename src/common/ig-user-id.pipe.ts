import { Injectable, type PipeTransform } from '@nestjs/common';
import { AppError, ErrorCode } from './app-error.js';

/** Instagram user ids are decimal digits; anything else is refused before any lookup. */
@Injectable()
export class IgUserIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!/^\d{1,32}$/.test(value)) {
      throw new AppError(ErrorCode.ValidationFailed, 'igUserId must be a string of digits.');
    }
    return value;
  }
}
