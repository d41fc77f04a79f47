import { Controller, Get, Param } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiIgUserIdParam, IgUserIdPipe } from '../common/ig-user-id.pipe.js';
import { ApiStoredTokenFailures } from '../common/instagram-failures.decorator.js';
import { ApiProblemResponse } from '../common/api-problem.decorator.js';
import { RequireScope } from '../common/require-scope.decorator.js';
import { InstagramUserDto } from './dto/instagram-user.dto.js';
import { toInstagramUserDto } from './user.mapper.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get(':igUserId')
  @RequireScope('users.read')
  @ApiOperation({
    summary: "Read the person's Instagram profile (the user node) with the stored token",
    description:
      "Reads /me live with the connection's token (INSTAGRAM_USER_FIELDS); a token Instagram rejects makes the connection invalid.",
  })
  @ApiIgUserIdParam()
  @ApiOkResponse({ description: 'The user node', type: InstagramUserDto })
  @ApiProblemResponse(404, 'No connection for this id')
  @ApiStoredTokenFailures()
  async getInstagramUser(
    @Param('igUserId', IgUserIdPipe) igUserId: string,
  ): Promise<InstagramUserDto> {
    return toInstagramUserDto(await this.users.getUser(igUserId));
  }
}
