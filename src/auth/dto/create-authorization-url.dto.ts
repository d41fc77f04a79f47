import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUrl } from 'class-validator';
import { IsSafeText } from '../../common/safe-text.decorator.js';
import { OwnerIdProperty } from './owner-id.property.js';

export class CreateAuthorizationUrlDto {
  @OwnerIdProperty()
  ownerId?: string;

  /** Where the person lands after the callback; its origin must be in AUTH_RETURN_TO_ORIGINS. */
  @ApiPropertyOptional({ example: 'https://app.example.com/instagram/done', maxLength: 2048 })
  @IsOptional()
  @IsSafeText(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  returnTo?: string;
}
