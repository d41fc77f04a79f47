import { applyDecorators, Controller, Get, Param, Req, Res } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiProblemResponse } from '../common/api-problem.decorator.js';
import { ApiIgUserIdParam, IgUserIdPipe } from '../common/ig-user-id.pipe.js';
import { ApiStoredTokenFailures } from '../common/instagram-failures.decorator.js';
import { RequireScope } from '../common/require-scope.decorator.js';
import { GraphProxyService } from './graph-proxy.service.js';
import { renderProxiedAnswer } from './proxied-answer.js';

/** The Graph parameters callers use most, documented for typed clients; any other passes on too. */
const COMMON_PARAMS: [string, string][] = [
  [
    'fields',
    'Fields to read, comma-separated, as Instagram takes them (e.g. id,caption,media_type)',
  ],
  ['limit', 'How many items a page holds, as Instagram takes it'],
  ['after', "Instagram's cursor of the next page (the proxy's paging.next carries it)"],
  ['before', "Instagram's cursor of the previous page (the proxy's paging.previous carries it)"],
  ['metric', 'Insights: the metrics, comma-separated (e.g. reach)'],
  ['period', 'Insights: the period (e.g. day)'],
  ['since', 'Insights: the start of the window, a Unix time'],
  ['until', 'Insights: the end of the window, a Unix time'],
];

function ApiGraphQuery(): MethodDecorator {
  return applyDecorators(
    ...COMMON_PARAMS.map(([name, description]) =>
      ApiQuery({ name, required: false, type: String, description }),
    ),
  );
}

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

@ApiTags('graph')
@Controller('graph')
export class GraphController {
  constructor(private readonly graph: GraphProxyService) {}

  @Get(':igUserId/*')
  @RequireScope('graph.read')
  @ApiOperation({
    summary: "Read an allowed Graph path with the account's stored token",
    description:
      "A read-only proxy for the paths in GRAPH_PROXY_PATHS (default me, me/media, {id}, {id}/children, {id}/insights, me/insights; {id} is a run of digits). The vault adds the stored token; every query parameter is passed on except access_token and appsecret_proof (400) and those that would make it a write. Instagram's JSON comes back byte for byte (ids keep every digit), except that links to the Graph, such as paging.next and paging.previous, point back at this proxy and carry no token. Other methods answer 405.",
  })
  @ApiIgUserIdParam()
  @ApiParam({
    name: 'path',
    type: String,
    description:
      'The Graph path below the version, e.g. me/media or 17895695668004551/children (slashes may be sent encoded)',
    example: 'me/media',
  })
  @ApiGraphQuery()
  @ApiProduces('application/json')
  @ApiOkResponse({
    description: "Instagram's answer, with its links pointing back at the vault",
    schema: { type: 'object', additionalProperties: true },
  })
  @ApiProblemResponse(
    400,
    'The query carries access_token, appsecret_proof, a parameter that would make it a write, or a bad value; or Instagram refused the query (instagram_rejected)',
  )
  @ApiProblemResponse(403, 'The path is not one GRAPH_PROXY_PATHS allows (graph_path_not_allowed)')
  @ApiProblemResponse(404, 'No connection for this id')
  @ApiStoredTokenFailures()
  async readGraph(
    @Param('igUserId', IgUserIdPipe) igUserId: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string> {
    const asked = this.graph.parse(request.url);
    const answer = await this.graph.read(igUserId, asked);
    void reply.header('content-type', 'application/json; charset=utf-8');
    return renderProxiedAnswer(answer, originOf(request));
  }
}

/** The origin the caller reached the vault on; links stay root-relative if the Host is odd. */
function originOf(request: FastifyRequest): string {
  const host: unknown = request.host;
  return typeof host === 'string' && HOST.test(host) ? `${request.protocol}://${host}` : '';
}
