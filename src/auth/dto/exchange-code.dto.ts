import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUrl } from 'class-validator';
import { IsSafeText } from '../../common/safe-text.decorator.js';
import { OwnerIdProperty } from './owner-id.property.js';

export class ExchangeCodeDto {
  /** The authorization code; a trailing `#_` is removed. */
  @ApiProperty({ minLength: 1, maxLength: 2048 })
  @IsSafeText(2048, 1)
  code!: string;

  /** The redirect URI the code was issued for; defaults to INSTAGRAM_REDIRECT_URI. */
  @ApiPropertyOptional({ maxLength: 2048 })
  @IsOptional()
  @IsSafeText(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  redirectUri?: string;

  @OwnerIdProperty()
  ownerId?: string;
}
