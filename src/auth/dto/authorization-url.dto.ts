import { ApiProperty } from '@nestjs/swagger';

export class AuthorizationUrlDto {
  /** Send the person here: Instagram's authorization window for this flow. */
  @ApiProperty({ example: 'https://www.instagram.com/oauth/authorize?client_id=...&state=...' })
  url!: string;

  /** The flow's one-time state, already in the URL. */
  @ApiProperty()
  state!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  expiresAt!: string;
}
