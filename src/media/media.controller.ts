import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponse } from '../common/api-problem.decorator.js';
import { ApiIgUserIdParam, IgUserIdPipe } from '../common/ig-user-id.pipe.js';
import { ApiStoredTokenFailures } from '../common/instagram-failures.decorator.js';
import { RequireScope } from '../common/require-scope.decorator.js';
import { ListMediaQuery } from './dto/list-media.query.js';
import { MediaDetailDto, MediaPageDto } from './dto/media.dto.js';
import { ApiMediaIdParam, MediaIdPipe } from './media-id.pipe.js';
import { toMediaDetailDto, toMediaDto } from './media.mapper.js';
import { MediaService } from './media.service.js';

@ApiTags('media')
@Controller('users')
export class MediaController {
  constructor(private readonly media: MediaService) {}

  @Get(':igUserId/media')
  @RequireScope('users.read')
  @ApiOperation({
    summary: "List the account's posts a page at a time, read with the stored token",
    description:
      'Reads /me/media live (INSTAGRAM_MEDIA_FIELDS), newest first; pass nextCursor as cursor for the next page. The caller never holds the token, and the cursor never carries it. A token Instagram rejects makes the connection invalid.',
  })
  @ApiIgUserIdParam()
  @ApiOkResponse({ description: 'A page of posts', type: MediaPageDto })
  @ApiProblemResponse(400, 'limit or cursor is not valid (a cursor of another account, say)')
  @ApiProblemResponse(404, 'No connection for this id')
  @ApiStoredTokenFailures()
  async listMedia(
    @Param('igUserId', IgUserIdPipe) igUserId: string,
    @Query() query: ListMediaQuery,
  ): Promise<MediaPageDto> {
    const page = await this.media.listMedia(igUserId, query);
    return { items: page.items.map(toMediaDto), nextCursor: page.nextCursor };
  }

  @Get(':igUserId/media/:mediaId')
  @RequireScope('users.read')
  @ApiOperation({
    summary: 'Read one post, with the items of a carousel',
    description:
      'Reads /{media-id} live with the stored token, and /{media-id}/children for a carousel.',
  })
  @ApiIgUserIdParam()
  @ApiMediaIdParam()
  @ApiOkResponse({ description: 'The post', type: MediaDetailDto })
  @ApiProblemResponse(400, 'mediaId is not a string of digits')
  @ApiProblemResponse(404, 'No connection for this id, or no such media on the account')
  @ApiStoredTokenFailures()
  async getMedia(
    @Param('igUserId', IgUserIdPipe) igUserId: string,
    @Param('mediaId', MediaIdPipe) mediaId: string,
  ): Promise<MediaDetailDto> {
    return toMediaDetailDto(await this.media.getMedia(igUserId, mediaId));
  }
}
