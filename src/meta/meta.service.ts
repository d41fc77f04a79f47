import { randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { Transactions } from '../database/transactions.js';
import { TokensService } from '../tokens/tokens.service.js';
import { type DataDeletionRecord, DataDeletionRepository } from './data-deletion.repository.js';
import {
  SignedRequestError,
  type SignedRequestPayload,
  verifySignedRequest,
} from './signed-request.js';

export const DATA_DELETION_PATH = '/auth/instagram/data-deletion';

export interface DeletionReceipt {
  url: string;
  confirmationCode: string;
}

/** Meta's deauthorize and data deletion callbacks. */
@Injectable()
export class MetaService {
  private readonly logger = new Logger(MetaService.name);
  private readonly appSecret: string;
  private readonly publicOrigin: string;

  constructor(
    private readonly tokens: TokensService,
    private readonly deletions: DataDeletionRepository,
    private readonly transactions: Transactions,
    config: ConfigService<AppConfig, true>,
  ) {
    const instagram = config.get('instagram', { infer: true });
    this.appSecret = instagram.appSecret;
    // The registered redirect URI points at this service: its origin is our public address.
    this.publicOrigin = new URL(instagram.redirectUri).origin;
  }

  async deauthorize(signedRequest: unknown): Promise<number> {
    const { userId } = this.verify(signedRequest);
    const revoked = await this.tokens.revokeAccount(userId);
    this.logger.log({ matched: revoked.map((c) => c.igUserId) }, 'deauthorized by Meta');
    return revoked.length;
  }

  async requestDeletion(signedRequest: unknown): Promise<DeletionReceipt> {
    const { userId } = this.verify(signedRequest);
    const confirmationCode = randomBytes(12).toString('base64url');
    // One transaction over both owners: the deletion is recorded exactly when it happened.
    const deleted = await this.transactions.run(async (tx) => {
      const erased = await this.tokens.eraseAccount(userId, tx);
      await this.deletions.recordCompleted(confirmationCode, erased, tx);
      return erased;
    });
    this.logger.log({ confirmationCode, connectionsDeleted: deleted }, 'data deletion done');
    return {
      url: `${this.publicOrigin}${DATA_DELETION_PATH}/${confirmationCode}`,
      confirmationCode,
    };
  }

  async deletionStatus(confirmationCode: string): Promise<DataDeletionRecord> {
    const record = /^[A-Za-z0-9_-]{1,64}$/.test(confirmationCode)
      ? await this.deletions.find(confirmationCode)
      : null;
    if (record === null) {
      throw new AppError(
        ErrorCode.DeletionRequestNotFound,
        'No data deletion request has this code.',
      );
    }
    return record;
  }

  private verify(signedRequest: unknown): SignedRequestPayload {
    try {
      return verifySignedRequest(signedRequest, this.appSecret);
    } catch (error) {
      if (error instanceof SignedRequestError) {
        this.logger.warn({ reason: error.reason }, 'refused a signed_request');
        throw new AppError(
          ErrorCode.InvalidSignedRequest,
          `The signed_request was refused: ${error.reason}.`,
        );
      }
      throw error;
    }
  }
}
