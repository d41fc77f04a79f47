import { Module } from '@nestjs/common';
import { InstagramModule } from '../instagram/instagram.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { GraphController } from './graph.controller.js';
import { GraphProxyService } from './graph-proxy.service.js';

/** The read-only Graph proxy: allowed paths, read with the stored token. */
@Module({
  imports: [InstagramModule, TokensModule],
  controllers: [GraphController],
  providers: [GraphProxyService],
})
export class GraphModule {}
