import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUrl } from 'class-validator';
import { IsSafeText } from '../../common/safe-text.decorator.js';

export class CreateAuthorizationUrlDto {
  /**
   * The caller's own id for the person; the connection will carry it. If the account turns
   * out to be connected under another owner, the flow ends with owner_conflict and nothing
   * changes.
   */
  @ApiPropertyOptional({
    example: 'customer-42',
    minLength: 1,
    maxLength: 255,
    description:
      "The caller's own id for the person; the connection carries it. An account already connected under another owner is not moved: owner_conflict (409).",
  })
  @IsOptional()
  @IsSafeText(255, 1)
  ownerId?: string;

  /** Where the person lands after the callback; its origin must be in AUTH_RETURN_TO_ORIGINS. */
  @ApiPropertyOptional({ example: 'https://app.example.com/instagram/done', maxLength: 2048 })
  @IsOptional()
  @IsSafeText(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  returnTo?: string;
}
