import { Module } from '@nestjs/common';
import { MetaModule } from '../meta/meta.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { AuditRetention } from './audit-retention.js';

/** Forgets audit records past AUDIT_RETENTION_DAYS; owns no table, asks each owner. */
@Module({
  imports: [TokensModule, MetaModule],
  providers: [AuditRetention],
})
export class RetentionModule {}
