import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ description: 'A flow for a person your service sends to Instagram.' })
export class AuthorizationUrlDto {
  @ApiProperty({
    description: "Send the person here: Instagram's authorization window for this flow.",
    example: 'https://www.instagram.com/oauth/authorize?client_id=...&state=...',
  })
  url!: string;

  @ApiProperty({ description: "The flow's one-time state, already in the URL." })
  state!: string;

  @ApiProperty({
    description: 'When the flow ends: a callback after this is refused (flows last 10 minutes).',
    type: String,
    format: 'date-time',
  })
  expiresAt!: string;
}
