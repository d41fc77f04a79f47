import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from './app-error.js';
import { mapError } from './error-mapping.js';
import { methodNotAllowed } from './method-not-allowed.js';
import { markProblem, PROBLEM_CONTENT_TYPE } from './problem.js';

/** Whoever keeps count of database outages (the pool); told of every failed request. */
export interface FailureReporter {
  reportFailure(error: unknown): boolean;
}

/** The one exception filter: every error leaves as application/problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger(ProblemFilter.name);

  constructor(private readonly database: FailureReporter) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // Nest's router answers an unmatched method and path with a NotFoundException.
    const unmatched = error instanceof NotFoundException;
    const { problem, headers, unexpected } = mapError(
      (unmatched && methodNotAllowed(http.getRequest<FastifyRequest>())) || error,
    );
    if (problem.code === ErrorCode.DatabaseUnavailable) {
      // The pool logs the outage once; a line per failed request would flood the log.
      this.database.reportFailure(error);
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
