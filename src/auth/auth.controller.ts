import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiFoundResponse,
  ApiOkResponse,
  ApiExtraModels,
  ApiOperation,
  ApiQuery,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AppError, ErrorCode } from '../common/app-error.js';
import { prefersHtml, sendPage } from '../common/html.js';
import { ApiInstagramFailures } from '../common/instagram-failures.decorator.js';
import { ApiProblemResponse } from '../common/api-problem.decorator.js';
import { Public } from '../common/public.decorator.js';
import { PublicRateLimit } from '../common/public-rate-limit.decorator.js';
import { RequireScope } from '../common/require-scope.decorator.js';
import { isSafeText } from '../common/safe-text.decorator.js';
import { toConnectionDto } from '../tokens/connection.mapper.js';
import { ConnectionDto } from '../tokens/dto/connection.dto.js';
import { AuthService, type CallbackParams } from './auth.service.js';
import { renderConnectedPage, renderNotConnectedPage } from './callback.page.js';
import { AuthorizationUrlDto } from './dto/authorization-url.dto.js';
import { AuthorizeQuery } from './dto/authorize.query.js';
import { CreateAuthorizationUrlDto } from './dto/create-authorization-url.dto.js';
import { ExchangeCodeDto } from './dto/exchange-code.dto.js';

@ApiTags('auth')
@Controller('auth/instagram')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Get('authorize')
  @Public()
  @PublicRateLimit()
  @ApiOperation({
    summary: "Send a browser to Instagram's authorization window",
    description:
      'For a link or button in your app: redirects to Instagram with client_id, redirect_uri, scope, response_type=code and a fresh one-time state (10 minutes). The callback comes back to this service.',
  })
  @ApiFoundResponse({ description: 'Redirect to Instagram with a fresh one-time state' })
  @ApiProblemResponse(400, 'return_to is not on an allowed origin')
  async startAuthorization(
    @Query() query: AuthorizeQuery,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const flow = await this.auth.startFlow({ returnTo: query.return_to });
    await reply.redirect(flow.url, 302);
  }

  @Get('callback')
  @Public()
  @PublicRateLimit()
  @ApiOperation({
    summary: "Instagram's redirect back",
    description:
      "Checks the state, exchanges the code, stores the token, then redirects to the flow's return URL with status=connected&ig_user_id=ID (or status=error&error=CODE; outcome parameters the return URL already had are replaced). Without a return URL it answers with the connection (or a problem), or, to a browser (Accept: text/html), a small page naming the account and nothing else. A consent for an account connected under another owner changes nothing: owner_conflict (409).",
  })
  @ApiQuery({ name: 'code', required: false, description: 'The authorization code (on Allow)' })
  @ApiQuery({ name: 'state', required: false, description: 'The one-time state of the flow' })
  @ApiQuery({ name: 'error', required: false, description: "Instagram's error (on Deny)" })
  @ApiQuery({ name: 'error_reason', required: false, description: "Instagram's reason code" })
  @ApiQuery({
    name: 'error_description',
    required: false,
    description: "Instagram's words for the error",
  })
  @ApiFoundResponse({ description: "Redirect to the flow's return URL" })
  @ApiExtraModels(ConnectionDto)
  @ApiOkResponse({
    description:
      'The connection, when the flow had no return URL; for a browser, a page naming the account',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ConnectionDto) } },
      'text/html': { schema: { type: 'string' } },
    },
  })
  @ApiProblemResponse(400, 'Unknown, used or expired state; rejected code')
  @ApiProblemResponse(409, 'owner_conflict: the account is connected under another owner')
  @ApiInstagramFailures()
  async completeAuthorization(
    @Query() query: Record<string, unknown>,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const outcome = await this.auth.completeCallback(readCallbackParams(query));
    if (outcome.redirectTo !== null) {
      await reply.redirect(outcome.redirectTo, 302);
      return;
    }
    const error =
      outcome.error ?? new AppError(ErrorCode.InternalError, 'The callback had no outcome.');
    if (prefersHtml(accept)) {
      await (outcome.connection !== undefined
        ? sendPage(reply, 200, renderConnectedPage(outcome.connection))
        : sendPage(reply, error.status, renderNotConnectedPage(error.code)));
      return;
    }
    if (outcome.connection === undefined) {
      throw error;
    }
    await reply.status(200).send(toConnectionDto(outcome.connection));
  }

  @Post('authorization-urls')
  @RequireScope('tokens.write')
  @ApiOperation({
    summary: 'Start a flow for a person your service sends to Instagram',
    description:
      'Answers the authorization URL to send the person to; the connection the flow creates carries ownerId, and the person comes back to returnTo with the outcome.',
  })
  @ApiCreatedResponse({ description: 'The flow to send the person to', type: AuthorizationUrlDto })
  @ApiProblemResponse(400, 'The body is not valid, or returnTo is not allowed')
  async createAuthorizationUrl(
    @Body() body: CreateAuthorizationUrlDto,
  ): Promise<AuthorizationUrlDto> {
    const flow = await this.auth.startFlow(body);
    return { url: flow.url, state: flow.state, expiresAt: flow.expiresAt.toISOString() };
  }

  @Post('token')
  @HttpCode(201)
  @RequireScope('tokens.write')
  @ApiOperation({
    summary: 'Exchange a code captured elsewhere and store the token',
    description:
      'For a code your own redirect received: exchanges it for a short-lived and then a long-lived token, stores it encrypted, and answers the connection.',
  })
  @ApiCreatedResponse({ description: 'The stored connection', type: ConnectionDto })
  @ApiProblemResponse(400, 'Invalid body, or Instagram rejected the code')
  @ApiProblemResponse(409, 'owner_conflict: the account is connected under another owner')
  @ApiInstagramFailures()
  async exchangeCode(@Body() body: ExchangeCodeDto): Promise<ConnectionDto> {
    return toConnectionDto(await this.auth.exchangeCode(body));
  }
}

const MAX_PARAM_LENGTH = 4096;

/**
 * Instagram's redirect may carry more parameters; only these are read, and only as strings. One
 * that is too long or holds control characters (Instagram sends neither) is refused before the
 * state is spent or the code goes anywhere.
 */
function readCallbackParams(query: Record<string, unknown>): CallbackParams {
  const read = (name: string): string | undefined => {
    const value = query[name];
    if (typeof value !== 'string' || value.length === 0) {
      return undefined;
    }
    if (!isSafeText(value) || value.length > MAX_PARAM_LENGTH) {
      throw new AppError(
        ErrorCode.ValidationFailed,
        `${name} must be at most ${MAX_PARAM_LENGTH} characters without control characters.`,
      );
    }
    return value;
  };
  return {
    code: read('code'),
    state: read('state'),
    error: read('error'),
    errorReason: read('error_reason'),
    errorDescription: read('error_description'),
  };
}
