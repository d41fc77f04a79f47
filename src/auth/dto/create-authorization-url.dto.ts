import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';

export class CreateAuthorizationUrlDto {
  /** The caller's own id for the person; the connection will carry it. */
  @ApiPropertyOptional({ example: 'customer-42', minLength: 1, maxLength: 255 })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  ownerId?: string;

  /** Where the person lands after the callback; its origin must be in AUTH_RETURN_TO_ORIGINS. */
  @ApiPropertyOptional({ example: 'https://app.example.com/instagram/done', maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  returnTo?: string;
}
