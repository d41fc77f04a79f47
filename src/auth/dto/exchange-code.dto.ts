import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';

export class ExchangeCodeDto {
  /** The authorization code; a trailing `#_` is removed. */
  @ApiProperty({ minLength: 1, maxLength: 2048 })
  @IsString()
  @Length(1, 2048)
  code!: string;

  /** The redirect URI the code was issued for; defaults to INSTAGRAM_REDIRECT_URI. */
  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  redirectUri?: string;

  @ApiPropertyOptional({ example: 'customer-42', minLength: 1, maxLength: 255 })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  ownerId?: string;
}
