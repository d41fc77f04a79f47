import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module.js';
import { DataDeletionRepository } from './data-deletion.repository.js';
import { MetaController } from './meta.controller.js';
import { MetaService } from './meta.service.js';
import { ProcessedSignedRequestsRepository } from './processed-signed-requests.repository.js';

@Module({
  imports: [TokensModule],
  controllers: [MetaController],
  providers: [MetaService, DataDeletionRepository, ProcessedSignedRequestsRepository],
  exports: [DataDeletionRepository, ProcessedSignedRequestsRepository],
})
export class MetaModule {}
