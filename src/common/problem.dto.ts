import { ApiProperty } from '@nestjs/swagger';
import { ErrorCode } from './app-error.js';

/** RFC 9457 problem details (application/problem+json). */
export class ProblemDto {
  @ApiProperty({ example: 'urn:instagram-token-vault:problem:connection_not_found' })
  type!: string;

  @ApiProperty({ example: 'No such connection' })
  title!: string;

  @ApiProperty({ example: 404 })
  status!: number;

  @ApiProperty({ example: 'No connection for Instagram user 17841400000000001.' })
  detail!: string;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', example: ErrorCode.ConnectionNotFound })
  code!: ErrorCode;
}
