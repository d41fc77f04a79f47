import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsUrl } from 'class-validator';
import { IsSafeText } from '../../common/safe-text.decorator.js';
import { OwnerIdProperty } from './owner-id.property.js';

@ApiSchema({ description: 'An authorization code captured outside the vault, to exchange.' })
export class ExchangeCodeDto {
  @ApiProperty({
    description: "The authorization code; a trailing `#_` (Instagram's suffix) is removed.",
    minLength: 1,
    maxLength: 2048,
  })
  @IsSafeText(2048, 1)
  code!: string;

  @ApiPropertyOptional({
    description:
      'The redirect URI the code was issued for, sent to Instagram byte for byte; defaults to INSTAGRAM_REDIRECT_URI.',
    maxLength: 2048,
  })
  @IsOptional()
  @IsSafeText(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  redirectUri?: string;

  @OwnerIdProperty()
  ownerId?: string;
}
