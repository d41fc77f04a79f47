import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { mapError } from './error-mapping.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/** The one exception filter: every error leaves as application/problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // Nest's router answers an unmatched method and path with a NotFoundException.
    const unmatched = error instanceof NotFoundException;
    const { problem, headers, unexpected } = mapError(
      (unmatched && methodNotAllowed(http.getRequest<FastifyRequest>())) || error,
    );
    if (unexpected) {
      this.logger.error({ err: error, problemCode: problem.code }, 'request failed');
    } else {
      this.logger.debug({ problemCode: problem.code, status: problem.status }, problem.detail);
    }
    void reply
      .status(problem.status)
      .headers(headers)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem);
  }
}
