import { Module } from '@nestjs/common';
import { InstagramModule } from '../instagram/instagram.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { MediaController } from './media.controller.js';
import { MediaService } from './media.service.js';

/** The account's posts, read for callers with the stored token. */
@Module({
  imports: [InstagramModule, TokensModule],
  controllers: [MediaController],
  providers: [MediaService],
})
export class MediaModule {}
