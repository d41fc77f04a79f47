import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { BackgroundTasks } from '../common/background-tasks.js';
import type { AppConfig } from '../config/app-config.js';
import { InstagramModule } from '../instagram/instagram.module.js';
import { WebhooksModule } from '../webhooks/webhooks.module.js';
import { ConnectionEvents } from './connection-events.js';
import { ConnectionMetrics } from './connection-metrics.js';
import { ConnectionReadsRepository } from './connection-reads.repository.js';
import { ConnectionsRepository } from './connections.repository.js';
import { RefreshLeasesRepository } from './refresh-leases.repository.js';
import { RefreshPolicy } from './refresh-policy.js';
import { RefreshSweeper } from './refresh.sweeper.js';
import { RewrapRepository } from './rewrap.repository.js';
import { StoredTokenCalls } from './stored-token-calls.js';
import { TokenRefresher } from './token-refresher.js';
import { TokenRevealsRepository } from './token-reveals.repository.js';
import { TokenRewrapper } from './token-rewrapper.js';
import { TokenSealer } from './token-sealer.js';
import { TokensController } from './tokens.controller.js';
import { TokensService } from './tokens.service.js';

/** The vault: owns connections and token_reveals; other modules use its services. */
@Module({
  imports: [InstagramModule, WebhooksModule],
  controllers: [TokensController],
  providers: [
    BackgroundTasks,
    TokensService,
    ConnectionsRepository,
    ConnectionReadsRepository,
    RefreshLeasesRepository,
    RewrapRepository,
    TokenRevealsRepository,
    ConnectionEvents,
    ConnectionMetrics,
    {
      provide: RefreshPolicy,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>) =>
        new RefreshPolicy(config.get('refresh', { infer: true })),
    },
    TokenSealer,
    StoredTokenCalls,
    TokenRefresher,
    TokenRewrapper,
    RefreshSweeper,
  ],
  exports: [TokensService, StoredTokenCalls],
})
export class TokensModule {}
