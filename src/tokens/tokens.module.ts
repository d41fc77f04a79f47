import { Module } from '@nestjs/common';
import { BackgroundTasks } from '../common/background-tasks.js';
import { InstagramModule } from '../instagram/instagram.module.js';
import { RefreshSweeper } from './refresh.sweeper.js';
import { StoredTokenCalls } from './stored-token-calls.js';
import { TokenRefresher } from './token-refresher.js';
import { TokenRewrapper } from './token-rewrapper.js';
import { TokenSealer } from './token-sealer.js';
import { TokensController } from './tokens.controller.js';
import { TokensRepository } from './tokens.repository.js';
import { TokensService } from './tokens.service.js';

@Module({
  imports: [InstagramModule],
  controllers: [TokensController],
  providers: [
    BackgroundTasks,
    TokensService,
    TokensRepository,
    TokenSealer,
    StoredTokenCalls,
    TokenRefresher,
    TokenRewrapper,
    RefreshSweeper,
  ],
  exports: [TokensService, TokensRepository, TokenSealer, StoredTokenCalls],
})
export class TokensModule {}
