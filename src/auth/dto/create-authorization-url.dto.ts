import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsUrl } from 'class-validator';
import { IsSafeText } from '../../common/safe-text.decorator.js';
import { OwnerIdProperty } from './owner-id.property.js';

@ApiSchema({ description: 'What to start a flow with; both fields are optional.' })
export class CreateAuthorizationUrlDto {
  @OwnerIdProperty()
  ownerId?: string;

  @ApiPropertyOptional({
    description:
      'Where the person lands after the callback, with status=connected&ig_user_id=ID or status=error&error=CODE added; its origin must be in AUTH_RETURN_TO_ORIGINS.',
    example: 'https://app.example.com/instagram/done',
    maxLength: 2048,
  })
  @IsOptional()
  @IsSafeText(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  returnTo?: string;
}
