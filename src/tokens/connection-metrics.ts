import { Injectable, type OnModuleInit } from '@nestjs/common';
import { MetricsService } from '../metrics/metrics.service.js';
import { ConnectionsRepository } from './connections.repository.js';

/** Feeds vault_connections: connections counted by the status callers see. */
@Injectable()
export class ConnectionMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly connections: ConnectionsRepository,
  ) {}

  onModuleInit(): void {
    this.metrics.countConnectionsWith(() => this.connections.countByEffectiveStatus());
  }
}
