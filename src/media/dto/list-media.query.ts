import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MAX_MEDIA_CURSOR_LENGTH } from '../media-cursor.js';

export const DEFAULT_MEDIA_PAGE_SIZE = 25;

export class ListMediaQuery {
  @ApiPropertyOptional({
    description: 'How many posts a page holds at most (Instagram may answer fewer).',
    minimum: 1,
    maximum: 100,
    default: DEFAULT_MEDIA_PAGE_SIZE,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({
    description: 'The nextCursor of the previous page of the same account.',
    maxLength: MAX_MEDIA_CURSOR_LENGTH,
  })
  @IsOptional()
  @IsString()
  @Matches(new RegExp(`^[A-Za-z0-9_-]{1,${MAX_MEDIA_CURSOR_LENGTH}}$`), {
    message: 'cursor is not one this service issued',
  })
  cursor?: string;
}
