import { ApiProperty } from '@nestjs/swagger';

/** The answer Meta expects from a data deletion callback (snake_case is Meta's). */
export class DataDeletionReceiptDto {
  /** Where the person can see the deletion's status. */
  @ApiProperty({ example: 'https://vault.example.com/auth/instagram/data-deletion/k3J9xQ2m' })
  url!: string;

  @ApiProperty({ example: 'k3J9xQ2m' })
  confirmation_code!: string;
}

export class DataDeletionStatusDto {
  @ApiProperty({ example: 'k3J9xQ2m' })
  confirmationCode!: string;

  @ApiProperty({ enum: ['completed'], example: 'completed' })
  status!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  requestedAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt!: string | null;
}

export class DeauthorizeReceiptDto {
  @ApiProperty({ example: true })
  received!: boolean;
}

/** The form Meta posts. */
export class SignedRequestFormDto {
  /** base64url(signature) "." base64url(payload), signed with the app secret. */
  @ApiProperty()
  signed_request!: string;
}
