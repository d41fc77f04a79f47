import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional } from 'class-validator';
import { IsSafeText } from '../../common/safe-text.decorator.js';

export class AuthorizeQuery {
  @ApiPropertyOptional({
    description:
      'Where the person lands after the callback; its origin must be in AUTH_RETURN_TO_ORIGINS.',
    maxLength: 2048,
  })
  @IsOptional()
  @IsSafeText(2048)
  return_to?: string;
}
