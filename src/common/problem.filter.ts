import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { mapError } from './error-mapping.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/** The one exception filter: every error leaves as application/problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { problem, headers, unexpected } = mapError(error);
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
