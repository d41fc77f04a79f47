import { Module } from '@nestjs/common';
import { InstagramModule } from '../instagram/instagram.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { OAuthStatesRepository } from './oauth-states.repository.js';

@Module({
  imports: [InstagramModule, TokensModule],
  controllers: [AuthController],
  providers: [AuthService, OAuthStatesRepository],
})
export class AuthModule {}
