import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { ErrorCode } from '../common/app-error.js';
import { problemCodeOf } from '../common/problem.js';

const REQUEST_LOG = Symbol('vault.requestLog');
type LoggedRequest = FastifyRequest & { [REQUEST_LOG]?: Logger };

/**
 * One access line per request, and the request on every line logged while it runs: Fastify's
 * first hook binds a child logger to the request (its id, method and allow-listed query, by
 * the `req` serializer) and makes it the context nestjs-pino's loggers read; the line is
 * written once the answer is sent. nestjs-pino's own middleware does the same through Nest's
 * middleware layer, which on Fastify cost about a quarter of a hot read's throughput.
 */
export function logRequests(fastify: FastifyInstance, pino: PinoLogger): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    pino.runInContext(
      () => {
        (request as LoggedRequest)[REQUEST_LOG] = pino.logger;
        done();
      },
      { bindings: { req: request } },
    );
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const log = (request as LoggedRequest)[REQUEST_LOG];
    if (log !== undefined) {
      // A database outage fails every request alike; the pool logs it once instead.
      const level = problemCodeOf(reply.raw) === ErrorCode.DatabaseUnavailable ? 'debug' : 'info';
      log[level](
        { res: reply.raw, responseTime: Math.round(reply.elapsedTime) },
        `${request.method} ${reply.statusCode}`,
      );
    }
    done();
  });
}
