import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';

@ApiSchema({ description: 'What to start a flow with; both fields are optional.' })
export class CreateAuthorizationUrlDto {
  @ApiPropertyOptional({
    description: "The caller's own id for the person; the connection will carry it.",
    example: 'customer-42',
    minLength: 1,
    maxLength: 255,
  })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  ownerId?: string;

  @ApiPropertyOptional({
    description:
      'Where the person lands after the callback, with status=connected&ig_user_id=ID or status=error&error=CODE added; its origin must be in AUTH_RETURN_TO_ORIGINS.',
    example: 'https://app.example.com/instagram/done',
    maxLength: 2048,
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  returnTo?: string;
}
