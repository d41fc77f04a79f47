import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class AuthorizeQuery {
  @ApiPropertyOptional({
    description:
      'Where the person lands after the callback; its origin must be in AUTH_RETURN_TO_ORIGINS.',
    maxLength: 2048,
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  return_to?: string;
}
