import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsOptional, IsString, IsUrl, Length, MaxLength } from 'class-validator';

@ApiSchema({ description: 'An authorization code captured outside the vault, to exchange.' })
export class ExchangeCodeDto {
  @ApiProperty({
    description: "The authorization code; a trailing `#_` (Instagram's suffix) is removed.",
    minLength: 1,
    maxLength: 2048,
  })
  @IsString()
  @Length(1, 2048)
  code!: string;

  @ApiPropertyOptional({
    description:
      'The redirect URI the code was issued for, sent to Instagram byte for byte; defaults to INSTAGRAM_REDIRECT_URI.',
    maxLength: 2048,
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  redirectUri?: string;

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
}
