import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ErrorCode } from './app-error.js';

@ApiSchema({ description: 'RFC 9457 problem details (application/problem+json), with our `code`.' })
export class ProblemDto {
  @ApiProperty({
    description: 'A URN naming the kind of problem; one per code.',
    example: 'urn:instagram-token-vault:problem:connection_not_found',
  })
  type!: string;

  @ApiProperty({
    description: "A short summary of the problem's kind, the same for every occurrence.",
    example: 'No such connection',
  })
  title!: string;

  @ApiProperty({ description: 'The HTTP status of the answer.', example: 404 })
  status!: number;

  @ApiProperty({
    description: 'What went wrong this time, for people (never a secret).',
    example: 'No connection for Instagram user 17841400000000001.',
  })
  detail!: string;

  @ApiProperty({
    description: 'The stable code to branch on; titles and details may change.',
    enum: ErrorCode,
    enumName: 'ErrorCode',
    example: ErrorCode.ConnectionNotFound,
  })
  code!: ErrorCode;
}
