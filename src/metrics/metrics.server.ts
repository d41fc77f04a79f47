import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import { mapError } from '../common/error-mapping.js';
import { PROBLEM_CONTENT_TYPE } from '../common/problem.js';
import { nodeServerLimits, serverLimits } from '../common/server-limits.js';
import type { AppConfig } from '../config/app-config.js';
import { MetricsService } from './metrics.service.js';

/**
 * With METRICS_PORT set, /metrics lives only here: a listener of its own that a deployment
 * keeps on its internal network while the API port is published.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const http = this.config.get('http', { infer: true });
    const limits = serverLimits({ http, instagram: this.config.get('instagram', { infer: true }) });
    const server = createServer(
      nodeServerLimits(limits),
      (request, response) => void this.serve(request, response),
    );
    // Without a listener Node never closes a client that went silent (the timeouts act on data).
    server.on('clientError', (_error, socket) => socket.destroy());
    server.maxConnections = limits.maxConnections;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(http.metricsPort, http.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`/metrics served on ${http.host}:${http.metricsPort}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://metrics').pathname;
    try {
      if (path !== '/metrics') {
        throw new AppError(ErrorCode.NotFound, 'Only /metrics is served on the metrics port.');
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw new AppError(ErrorCode.MethodNotAllowed, '/metrics answers GET.', {
          headers: { allow: 'GET, HEAD' },
        });
      }
      const { contentType, body } = await this.metrics.render();
      response.writeHead(200, { 'content-type': contentType });
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      const { problem, headers, unexpected } = mapError(error);
      if (unexpected) {
        this.logger.error({ err: error }, 'metrics scrape failed');
      }
      response.writeHead(problem.status, { ...headers, 'content-type': PROBLEM_CONTENT_TYPE });
      response.end(JSON.stringify(problem));
    }
  }
}
