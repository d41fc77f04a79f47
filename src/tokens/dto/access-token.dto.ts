import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ description: 'A decrypted access token; every reveal is audited.' })
export class AccessTokenDto {
  @ApiProperty({
    description: 'The Instagram user id of the connection, as exact digits.',
    example: '17841400000000001',
    pattern: '^\\d+$',
  })
  igUserId!: string;

  @ApiProperty({ description: 'The Instagram access token. Treat as a secret.' })
  accessToken!: string;

  @ApiProperty({
    description: 'When Instagram stops accepting the token; null when Instagram did not say.',
    type: String,
    format: 'date-time',
    nullable: true,
  })
  expiresAt!: string | null;
}
