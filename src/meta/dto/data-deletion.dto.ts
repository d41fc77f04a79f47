import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({
  description: "The answer Meta expects from a data deletion callback (snake_case is Meta's).",
})
export class DataDeletionReceiptDto {
  @ApiProperty({
    description: "Where the person can see the deletion's status.",
    example: 'https://vault.example.com/auth/instagram/data-deletion/k3J9xQ2m',
  })
  url!: string;

  @ApiProperty({
    description: 'The code Meta shows the person; it names the deletion in the status URL.',
    example: 'k3J9xQ2m',
  })
  confirmation_code!: string;
}

@ApiSchema({ description: 'A data deletion as its status page reports it.' })
export class DataDeletionStatusDto {
  @ApiProperty({ description: "The deletion's confirmation code.", example: 'k3J9xQ2m' })
  confirmationCode!: string;

  @ApiProperty({
    description: 'The deletion runs at once, so a stored one is always `completed`.',
    enum: ['completed'],
    example: 'completed',
  })
  status!: string;

  @ApiProperty({ description: 'When Meta asked.', type: String, format: 'date-time' })
  requestedAt!: string;

  @ApiProperty({
    description: 'When everything held for the account was deleted; null while it runs.',
    type: String,
    format: 'date-time',
    nullable: true,
  })
  completedAt!: string | null;
}

@ApiSchema({ description: 'The acknowledgement of a deauthorize callback.' })
export class DeauthorizeReceiptDto {
  @ApiProperty({
    description: 'Always true: the callback was verified and applied.',
    example: true,
  })
  received!: boolean;
}

@ApiSchema({ description: 'The form Meta posts to its callbacks.' })
export class SignedRequestFormDto {
  @ApiProperty({
    description: 'base64url(signature) "." base64url(payload), signed with the app secret.',
  })
  signed_request!: string;
}
