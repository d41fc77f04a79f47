import { Module } from '@nestjs/common';
import { TokensModule } from '../tokens/tokens.module.js';
import { DataDeletionRepository } from './data-deletion.repository.js';
import { MetaController } from './meta.controller.js';
import { MetaService } from './meta.service.js';
import { ProcessedSignedRequestsRepository } from './processed-signed-requests.repository.js';

/** Meta's callbacks: owns data_deletion_requests and processed_signed_requests. */
@Module({
  imports: [TokensModule],
  controllers: [MetaController],
  providers: [MetaService, DataDeletionRepository, ProcessedSignedRequestsRepository],
  exports: [MetaService],
})
export class MetaModule {}
