import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { IsSafeText } from '../../common/safe-text.decorator.js';
import { ConnectionStatus } from '../connection.record.js';

export class ListConnectionsQuery {
  @ApiPropertyOptional({
    description:
      'Only connections in this status, as callers see it (an active one past its expiry is expired).',
    enum: ConnectionStatus,
    enumName: 'ConnectionStatus',
  })
  @IsOptional()
  @IsEnum(ConnectionStatus)
  status?: ConnectionStatus;

  @ApiPropertyOptional({
    description: 'Only connections started with this ownerId.',
    maxLength: 255,
  })
  @IsOptional()
  @IsSafeText(255)
  ownerId?: string;

  @ApiPropertyOptional({
    description: 'How many connections a page holds at most.',
    minimum: 1,
    maximum: 100,
    default: 50,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page.' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'cursor is not one this service issued' })
  cursor?: string;
}
