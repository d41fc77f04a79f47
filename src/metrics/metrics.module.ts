import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsServer } from './metrics.server.js';
import { MetricsService } from './metrics.service.js';

/** Infrastructure every feature records into; it reads no feature's tables itself. */
@Global()
@Module({})
export class MetricsModule {
  /** /metrics on the app's port, or with METRICS_PORT only on a listener of its own. */
  static forRoot(config: AppConfig): DynamicModule {
    const ownPort = config.http.metricsPort !== undefined;
    return {
      module: MetricsModule,
      controllers: ownPort ? [] : [MetricsController],
      providers: [MetricsService, ...(ownPort ? [MetricsServer] : [])],
      exports: [MetricsService],
    };
  }
}
