import { Body, Controller, Get, Headers, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiExtraModels,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblemResponse } from '../common/api-problem.decorator.js';
import { AppError, ErrorCode } from '../common/app-error.js';
import { prefersHtml, sendPage } from '../common/html.js';
import { Public } from '../common/public.decorator.js';
import { PublicRateLimit } from '../common/public-rate-limit.decorator.js';
import {
  renderDataDeletionPage,
  renderPrunedDeletionPage,
  renderUnknownDeletionPage,
} from './data-deletion.page.js';
import {
  DataDeletionReceiptDto,
  DataDeletionStatusDto,
  DeauthorizeReceiptDto,
  SignedRequestFormDto,
} from './dto/data-deletion.dto.js';
import { type DeletionStatus, MetaService } from './meta.service.js';

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
    description:
      "The person removed the app: the connection is revoked and its token erased. A request issued before the person's latest consent changes nothing, and the same request twice acts once (both still answer 200).",
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
      "Deletes everything held for the account and answers where its status can be seen. A request issued before the person's latest consent leaves that connection alone; the same request twice deletes once and gets the same confirmation code.",
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
    description:
      'JSON for programs; an HTML page for a browser (Accept: text/html). Records are kept AUDIT_RETENTION_DAYS after the deletion; a code whose record was removed answers 410 deletion_record_pruned (the deletion was done).',
  })
  @ApiParam({
    name: 'confirmationCode',
    description: 'The confirmation_code the data deletion callback answered',
  })
  @ApiExtraModels(DataDeletionStatusDto)
  @ApiOkResponse({
    description: 'The deletion and its status; for a browser, a page saying so',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(DataDeletionStatusDto) } },
      'text/html': { schema: { type: 'string' } },
    },
  })
  @ApiProblemResponse(404, 'No deletion has this confirmation code')
  @ApiProblemResponse(410, 'The deletion was done; its record was removed after the retention')
  async getDataDeletionStatus(
    @Param('confirmationCode') confirmationCode: string,
    @Headers('accept') accept: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const html = prefersHtml(accept);
    let found: DeletionStatus;
    try {
      found = await this.meta.deletionStatus(confirmationCode);
    } catch (error) {
      if (html && error instanceof AppError && error.code === ErrorCode.DeletionRequestNotFound) {
        await sendPage(reply, 404, renderUnknownDeletionPage());
        return;
      }
      throw error;
    }
    if (found.kind === 'pruned') {
      if (html) {
        await sendPage(reply, 410, renderPrunedDeletionPage(found));
        return;
      }
      throw new AppError(
        ErrorCode.DeletionRecordPruned,
        `This deletion was requested on ${found.requestedOn.toISOString().slice(0, 10)} and completed; its record was removed after ${found.retentionDays} days.`,
      );
    }
    const { record } = found;
    const status: DataDeletionStatusDto = {
      confirmationCode: record.confirmationCode,
      status: record.status,
      requestedAt: record.requestedAt.toISOString(),
      completedAt: record.completedAt?.toISOString() ?? null,
    };
    if (html) {
      await sendPage(reply, 200, renderDataDeletionPage(status));
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
