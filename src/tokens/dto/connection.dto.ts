import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ConnectionStatus, TokenKind } from '../connection.record.js';

@ApiSchema({ description: "One person's Instagram authorization. Never holds a token." })
export class ConnectionDto {
  @ApiProperty({
    description:
      'The Instagram user id from the code exchange, as exact digits (ids exceed 2^53); the key of the connection.',
    example: '17841400000000001',
    pattern: '^\\d+$',
  })
  igUserId!: string;

  @ApiProperty({
    description:
      "The caller's own id for the person, given when the flow started; null when none was.",
    type: String,
    nullable: true,
    example: 'customer-42',
  })
  ownerId!: string | null;

  @ApiProperty({
    description: "The person's Instagram username, once the vault has read it; else null.",
    type: String,
    nullable: true,
    example: 'jane',
  })
  username!: string | null;

  @ApiProperty({
    description: 'The scopes Instagram granted.',
    type: [String],
    example: ['instagram_business_basic'],
  })
  scopes!: string[];

  @ApiProperty({
    description:
      '`short_lived` (an hour; its upgrade failed and a refresh will retry it) or `long_lived` (60 days, refreshed ahead of its end).',
    enum: TokenKind,
    enumName: 'TokenKind',
    example: TokenKind.long_lived,
  })
  tokenKind!: TokenKind;

  @ApiProperty({
    description:
      '`active`: usable; `expired`: the token ran out; `invalid`: Instagram rejected the token; `revoked`: the person removed the app. Only a new consent makes a connection active again.',
    enum: ConnectionStatus,
    enumName: 'ConnectionStatus',
    example: ConnectionStatus.active,
  })
  status!: ConnectionStatus;

  @ApiProperty({
    description: 'When Instagram stops accepting the stored token; null when unknown.',
    type: String,
    format: 'date-time',
    nullable: true,
  })
  expiresAt!: string | null;

  @ApiProperty({
    description: 'When the token was last renewed by a refresh; null before the first.',
    type: String,
    format: 'date-time',
    nullable: true,
  })
  lastRefreshedAt!: string | null;

  @ApiProperty({
    description:
      'When the service will next try to refresh (or upgrade) the token; null when it will not.',
    type: String,
    format: 'date-time',
    nullable: true,
  })
  nextRefreshAt!: string | null;

  @ApiProperty({ description: 'Failed refresh attempts since the last success.', example: 0 })
  refreshAttempts!: number;

  @ApiProperty({
    description: 'Why the last refresh failed (never a secret); null after a success.',
    type: String,
    nullable: true,
    example: null,
  })
  lastRefreshError!: string | null;

  @ApiProperty({
    description: 'When the last refresh failed; null after a success.',
    type: String,
    format: 'date-time',
    nullable: true,
  })
  lastRefreshErrorAt!: string | null;

  @ApiProperty({
    description: 'When the account was first connected.',
    type: String,
    format: 'date-time',
  })
  createdAt!: string;

  @ApiProperty({
    description: 'When anything of the connection last changed.',
    type: String,
    format: 'date-time',
  })
  updatedAt!: string;
}

@ApiSchema({ description: 'A page of connections, ordered by igUserId.' })
export class ConnectionListDto {
  @ApiProperty({ description: 'The connections of this page.', type: [ConnectionDto] })
  items!: ConnectionDto[];

  @ApiProperty({
    description: 'Pass as `cursor` for the next page; null on the last page.',
    type: String,
    nullable: true,
  })
  nextCursor!: string | null;
}
