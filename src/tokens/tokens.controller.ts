import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyName } from '../common/api-key-name.decorator.js';
import { ApiIgUserIdParam, IgUserIdPipe } from '../common/ig-user-id.pipe.js';
import { ApiInstagramFailures } from '../common/instagram-failures.decorator.js';
import { ApiProblemResponse } from '../common/api-problem.decorator.js';
import { RequireScope } from '../common/require-scope.decorator.js';
import { toConnectionDto } from './connection.mapper.js';
import { AccessTokenDto } from './dto/access-token.dto.js';
import { ConnectionDto, ConnectionListDto } from './dto/connection.dto.js';
import { ListConnectionsQuery } from './dto/list-connections.query.js';
import { TokensService } from './tokens.service.js';

@ApiTags('tokens')
@Controller('tokens')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  @Get()
  @RequireScope('tokens.read')
  @ApiOperation({
    summary: 'List connections, filtered by status or owner, a page at a time',
    description:
      'Connections ordered by igUserId; pass nextCursor as cursor for the next page. Never holds a token.',
  })
  @ApiOkResponse({ description: 'A page of connections', type: ConnectionListDto })
  @ApiProblemResponse(400, 'A query parameter is not valid, or the cursor is not ours')
  async listConnections(@Query() query: ListConnectionsQuery): Promise<ConnectionListDto> {
    const page = await this.tokens.listPage(query);
    return {
      items: page.items.map((connection) => toConnectionDto(connection)),
      nextCursor: page.nextCursor,
    };
  }

  @Get(':igUserId')
  @RequireScope('tokens.read')
  @ApiOperation({
    summary: 'Read one connection (never the token)',
    description: 'Its status as callers see it, its token life and the state of its refreshes.',
  })
  @ApiIgUserIdParam()
  @ApiOkResponse({ description: 'The connection', type: ConnectionDto })
  @ApiProblemResponse(404, 'No connection for this id')
  async getConnection(@Param('igUserId', IgUserIdPipe) igUserId: string): Promise<ConnectionDto> {
    return toConnectionDto(await this.tokens.getConnection(igUserId));
  }

  @Get(':igUserId/access-token')
  @RequireScope('tokens.reveal')
  @ApiOperation({
    summary: 'Reveal the decrypted access token; every reveal is audited',
    description:
      'For services that call Instagram themselves. Each reveal is recorded with the API key name; a connection that is not active answers 409.',
  })
  @ApiIgUserIdParam()
  @ApiOkResponse({ description: 'The decrypted token (audited)', type: AccessTokenDto })
  @ApiProblemResponse(404, 'No connection for this id')
  @ApiProblemResponse(409, 'The connection is not active')
  async revealAccessToken(
    @Param('igUserId', IgUserIdPipe) igUserId: string,
    @ApiKeyName() apiKeyName: string,
  ): Promise<AccessTokenDto> {
    const revealed = await this.tokens.revealAccessToken(igUserId, apiKeyName);
    return { ...revealed, expiresAt: revealed.expiresAt?.toISOString() ?? null };
  }

  @Post(':igUserId/refresh')
  @HttpCode(200)
  @RequireScope('tokens.write')
  @ApiOperation({
    summary: 'Refresh now',
    description:
      'Upgrades a short-lived token to a long-lived one, or renews a long-lived token at least 24 hours old.',
  })
  @ApiIgUserIdParam()
  @ApiOkResponse({ description: 'The connection', type: ConnectionDto })
  @ApiProblemResponse(404, 'No connection for this id')
  @ApiProblemResponse(409, 'Not active, too young to refresh, or Instagram rejected the token')
  @ApiInstagramFailures()
  async refreshConnection(
    @Param('igUserId', IgUserIdPipe) igUserId: string,
  ): Promise<ConnectionDto> {
    return toConnectionDto(await this.tokens.refreshNow(igUserId));
  }

  @Delete(':igUserId')
  @HttpCode(204)
  @RequireScope('tokens.write')
  @ApiOperation({
    summary: 'Delete a connection and its token material',
    description:
      'The connection and its encrypted token are gone; the reveal audit stays. A later consent creates it anew.',
  })
  @ApiIgUserIdParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponse(404, 'No connection for this id')
  async deleteConnection(@Param('igUserId', IgUserIdPipe) igUserId: string): Promise<void> {
    await this.tokens.deleteConnection(igUserId);
  }
}
