import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblemResponse } from '../common/api-problem.decorator.js';
import { Public } from '../common/public.decorator.js';
import { PublicRateLimit } from '../common/public-rate-limit.decorator.js';
import { renderDataDeletionPage } from './data-deletion.page.js';
import {
  DataDeletionReceiptDto,
  DataDeletionStatusDto,
  DeauthorizeReceiptDto,
  SignedRequestFormDto,
} from './dto/data-deletion.dto.js';
import { MetaService } from './meta.service.js';

const SIGNED_REQUEST_BODY = { type: SignedRequestFormDto };

@ApiTags('meta')
@Controller('auth/instagram')
@Public()
@PublicRateLimit()
export class MetaController {
  constructor(private readonly meta: MetaService) {}

  @Post('deauthorize')
  @HttpCode(200)
  @ApiOperation({
    summary: "Meta's deauthorize callback",
    description: 'The person removed the app: the connection is revoked and its token erased.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody(SIGNED_REQUEST_BODY)
  @ApiOkResponse({ description: 'Received', type: DeauthorizeReceiptDto })
  @ApiProblemResponse(
    400,
    'The signed_request is missing, malformed or not signed with the app secret',
  )
  async deauthorize(@Body() body: unknown): Promise<DeauthorizeReceiptDto> {
    await this.meta.deauthorize(signedRequestOf(body));
    return { received: true };
  }

  @Post('data-deletion')
  @HttpCode(200)
  @ApiOperation({
    summary: "Meta's data deletion callback",
    description:
      'Deletes everything held for the account and answers where its status can be seen.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody(SIGNED_REQUEST_BODY)
  @ApiOkResponse({ description: 'Deleted', type: DataDeletionReceiptDto })
  @ApiProblemResponse(
    400,
    'The signed_request is missing, malformed or not signed with the app secret',
  )
  async requestDataDeletion(@Body() body: unknown): Promise<DataDeletionReceiptDto> {
    const receipt = await this.meta.requestDeletion(signedRequestOf(body));
    return { url: receipt.url, confirmation_code: receipt.confirmationCode };
  }

  @Get('data-deletion/:confirmationCode')
  @ApiOperation({
    summary: 'The status of a data deletion',
    description: 'JSON for programs; an HTML page for a browser (Accept: text/html).',
  })
  @ApiParam({
    name: 'confirmationCode',
    description: 'The confirmation_code the data deletion callback answered',
  })
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({ description: 'The deletion and its status', type: DataDeletionStatusDto })
  @ApiProblemResponse(404, 'No deletion has this confirmation code')
  async getDataDeletionStatus(
    @Param('confirmationCode') confirmationCode: string,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const record = await this.meta.deletionStatus(confirmationCode);
    const status: DataDeletionStatusDto = {
      confirmationCode: record.confirmationCode,
      status: record.status,
      requestedAt: record.requestedAt.toISOString(),
      completedAt: record.completedAt?.toISOString() ?? null,
    };
    if (prefersHtml(accept)) {
      await reply.type('text/html; charset=utf-8').send(renderDataDeletionPage(status));
      return;
    }
    await reply.send(status);
  }
}

/** Meta posts a form; the field is read as it comes, and verified by the service. */
function signedRequestOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null
    ? (body as Record<string, unknown>).signed_request
    : undefined;
}

function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) {
    return false;
  }
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html >= 0 && (json < 0 || html < json);
}
