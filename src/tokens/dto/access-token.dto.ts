import { ApiProperty } from '@nestjs/swagger';

/** A decrypted access token; every reveal is audited. */
export class AccessTokenDto {
  @ApiProperty({ example: '17841400000000001', pattern: '^\\d+$' })
  igUserId!: string;

  @ApiProperty({ description: 'The Instagram access token. Treat as a secret.' })
  accessToken!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: string | null;
}
