import { ApiProperty } from '@nestjs/swagger';
import { ConnectionStatus, TokenKind } from '../connection.record.js';

/** One person's Instagram authorization. Never holds a token. */
export class ConnectionDto {
  /** The Instagram user id from the code exchange, as exact digits (ids exceed 2^53). */
  @ApiProperty({ example: '17841400000000001', pattern: '^\\d+$' })
  igUserId!: string;

  /** The caller's own id for the person, given when the flow started. */
  @ApiProperty({ type: String, nullable: true, example: 'customer-42' })
  ownerId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'jane' })
  username!: string | null;

  /** The scopes Instagram granted. */
  @ApiProperty({ type: [String], example: ['instagram_business_basic'] })
  scopes!: string[];

  @ApiProperty({ enum: TokenKind, enumName: 'TokenKind', example: TokenKind.long_lived })
  tokenKind!: TokenKind;

  /** `invalid`: Instagram rejected the token; `revoked`: the person removed the app. */
  @ApiProperty({
    enum: ConnectionStatus,
    enumName: 'ConnectionStatus',
    example: ConnectionStatus.active,
  })
  status!: ConnectionStatus;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastRefreshedAt!: string | null;

  /** When the service will next try to refresh (or upgrade) the token; null when it will not. */
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  nextRefreshAt!: string | null;

  /** Failed refresh attempts since the last success. */
  @ApiProperty({ example: 0 })
  refreshAttempts!: number;

  /** Why the last refresh failed (never a secret); null after a success. */
  @ApiProperty({ type: String, nullable: true, example: null })
  lastRefreshError!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastRefreshErrorAt!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: string;
}

export class ConnectionListDto {
  @ApiProperty({ type: [ConnectionDto] })
  items!: ConnectionDto[];

  /** Pass as `cursor` for the next page; null on the last page. */
  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
