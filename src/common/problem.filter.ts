import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ErrorCode } from './app-error.js';
import { mapError } from './error-mapping.js';
import { markProblem, PROBLEM_CONTENT_TYPE } from './problem.js';

/** Whoever keeps count of database outages (the pool); told of every failed request. */
export interface FailureReporter {
  reportFailure(error: unknown): boolean;
}

/** The one exception filter: every error leaves as application/problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  constructor(private readonly database?: FailureReporter) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { problem, headers, unexpected } = mapError(error);
    if (problem.code === ErrorCode.DatabaseUnavailable) {
      // The pool logs the outage once; a line per failed request would flood the log.
      this.database?.reportFailure(error);
    }
    if (unexpected) {
      this.logger.error({ err: error, problemCode: problem.code }, 'request failed');
    } else {
      this.logger.debug({ problemCode: problem.code, status: problem.status }, problem.detail);
    }
    markProblem(reply.raw, problem.code);
    void reply
      .status(problem.status)
      .headers(headers)
      .header('content-type', PROBLEM_CONTENT_TYPE)
      .send(problem);
  }
}
