import { Module } from '@nestjs/common';
import { InstagramModule } from '../instagram/instagram.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { UsersController } from './users.controller.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [InstagramModule, TokensModule],
  controllers: [UsersController],
  providers: [UsersService],
})
export class UsersModule {}
