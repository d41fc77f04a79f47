import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { ValidationError } from 'class-validator';
import { Logger, PinoLogger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { AppError, ErrorCode } from './common/app-error.js';
import { depthLimitedJsonParser } from './common/json-body.js';
import { ProblemFilter } from './common/problem.filter.js';
import { fastifyServerLimits, serverLimits } from './common/server-limits.js';
import {
  answerClientError,
  answerFrameworkError,
  SECURITY_HEADERS,
} from './common/transport-errors.js';
import { DatabasePool } from './database/database-pool.js';
import { requestIdFor } from './logging/request-id.js';
import { logRequests } from './logging/request-logging.js';
import { MetricsService } from './metrics/metrics.service.js';

/** Small bodies only: the largest legitimate one is a code exchange of a few kilobytes. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/** Builds the application as production runs it; main.ts, the tests and the OpenAPI script share it. */
export async function createApp(options: AppModuleOptions): Promise<NestFastifyApplication> {
  const limits = serverLimits(options.config);
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      trustProxy: fastifyTrustProxy(options.config.http.trustProxy),
      requestIdHeader: false,
      genReqId: requestIdFor,
      ...fastifyServerLimits(limits),
      frameworkErrors: answerFrameworkError,
      clientErrorHandler: answerClientError,
    }),
    { bufferLogs: true },
  );
  app.getHttpServer().maxConnections = limits.maxConnections;
  app.useLogger(app.get(Logger));
  configureApp(app, await app.resolve(PinoLogger));
  return app;
}

/** A hop count as the function Fastify's proxy-addr takes: trust the nearest `hops` hops. */
function fastifyTrustProxy(setting: boolean | number | string[]) {
  return typeof setting === 'number'
    ? (_address: string, hop: number): boolean => hop < setting
    : setting;
}

export function configureApp(app: NestFastifyApplication, pino: PinoLogger): void {
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: toValidationError,
    }),
  );
  app.useGlobalFilters(new ProblemFilter(app.get(DatabasePool)));
  const fastify = app.getHttpAdapter().getInstance();
  logRequests(fastify, pino);
  // JSON and forms only: a text/plain body is refused (415) rather than handed on as a string.
  fastify.removeContentTypeParser('text/plain');
  app.useBodyParser(
    'application/json',
    { bodyLimit: BODY_LIMIT_BYTES },
    depthLimitedJsonParser(fastify),
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    // Answers carry tokens, connections and owner ids: no cache may keep any of them.
    void reply.header('x-request-id', request.id).header('cache-control', 'no-store');
    done();
  });
  // Once closing, answers in flight end their connection: keep-alive sockets would otherwise
  // hold the server open long after the last request (until the client's idle timeout).
  let draining = false;
  fastify.addHook('preClose', (done) => {
    draining = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) {
      void reply.header('connection', 'close');
    }
    done(null, payload);
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the raw URL: ids and query strings stay out of label values.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.recordHttpRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.useSecurityHeaders(SECURITY_HEADERS);
  // Built on the first request for it: scanning every route's metadata is boot time wasted
  // on a replica nobody reads the docs of.
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'openapi.json',
    yamlDocumentUrl: 'openapi.yaml',
  });
}

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Instagram token vault')
    .setDescription(
      'Runs Instagram OAuth for internal services and keeps the tokens encrypted, fresh and readable. ' +
        'Every route needs an API key (`Authorization: Bearer <secret>` from API_KEYS) unless it says ' +
        '`security: []`: the browser, Meta and operations routes. ' +
        'Errors are application/problem+json with a stable `code`. ' +
        'A consent never moves a connection to another owner: for an account connected under one ' +
        'non-empty `ownerId`, a flow for another stores nothing and changes nothing; it ends with ' +
        '`owner_conflict` (409, or `status=error&error=owner_conflict` on the return URL) and a ' +
        '`connection.owner_conflict` webhook event. To move an account, delete its connection, ' +
        'then connect it again. A flow without an owner keeps the owner the connection has.',
    )
    .setVersion('1')
    // As package.json: not licensed for use outside the company; the URL says what that means.
    .setLicense('UNLICENSED', 'https://docs.npmjs.com/cli/configuring-npm/package-json#license')
    .addServer('/', 'The vault that serves this document')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'API key',
        description: 'A secret from API_KEYS',
      },
      'apiKey',
    )
    .addSecurityRequirements('apiKey')
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  return sortKeys(document) as OpenAPIObject;
}

/** Stable key order, so the committed document diffs cleanly. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function toValidationError(errors: ValidationError[]): AppError {
  const fields = flatten(errors);
  return new AppError(
    ErrorCode.ValidationFailed,
    fields.map((field) => field.messages.join('; ')).join('; ') || 'The request is not valid.',
    { extensions: { errors: fields } },
  );
}

function flatten(errors: ValidationError[], prefix = ''): { field: string; messages: string[] }[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, messages: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}
