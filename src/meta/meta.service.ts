import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import { Transactions } from '../database/transactions.js';
import { TokensService } from '../tokens/tokens.service.js';
import { ConfirmationCodes } from './confirmation-code.js';
import { type DataDeletionRecord, DataDeletionRepository } from './data-deletion.repository.js';
import {
  ProcessedSignedRequestsRepository,
  type SignedRequestKind,
} from './processed-signed-requests.repository.js';
import {
  SignedRequestError,
  type SignedRequestPayload,
  signedRequestExpiresAt,
  verifySignedRequest,
} from './signed-request.js';

export const DATA_DELETION_PATH = '/auth/instagram/data-deletion';

export interface DeletionReceipt {
  url: string;
  confirmationCode: string;
}

/** A deletion's status: its record, or, once retention removed that, what the code tells. */
export type DeletionStatus =
  | { kind: 'recorded'; record: DataDeletionRecord }
  | { kind: 'pruned'; confirmationCode: string; requestedOn: Date; retentionDays: number };

/**
 * Meta's deauthorize and data deletion callbacks. Each signed request acts at most once (its
 * fingerprint is recorded in the same transaction as its effect), and never on a connection
 * the person consented to after the request was issued.
 */
@Injectable()
export class MetaService {
  private readonly logger = new Logger(MetaService.name);
  private readonly appSecret: string;
  private readonly publicOrigin: string;
  private readonly codes: ConfirmationCodes;
  private readonly retentionDays: number;

  constructor(
    private readonly tokens: TokensService,
    private readonly deletions: DataDeletionRepository,
    private readonly processed: ProcessedSignedRequestsRepository,
    private readonly transactions: Transactions,
    config: ConfigService<AppConfig, true>,
  ) {
    const instagram = config.get('instagram', { infer: true });
    this.appSecret = instagram.appSecret;
    // The registered redirect URI points at this service: its origin is our public address.
    this.publicOrigin = new URL(instagram.redirectUri).origin;
    this.codes = new ConfirmationCodes(instagram.appSecret);
    this.retentionDays = config.get('audit', { infer: true }).retentionDays;
  }

  async deauthorize(signedRequest: unknown): Promise<void> {
    const request = this.verify(signedRequest);
    const outcome = await this.transactions.run(async (tx) => {
      if (await this.processed.recordFirst(processedEntry(request, 'deauthorize'), tx)) {
        return undefined;
      }
      return this.tokens.revokeAccount(request.userId, consentedBefore(request), tx);
    });
    if (outcome === undefined) {
      this.logger.warn(
        { userId: request.userId, issuedAt: request.issuedAt },
        'deauthorize already processed; ignored',
      );
      return;
    }
    this.logger.log(
      { matched: outcome.changed.map((c) => c.igUserId), consentedSince: outcome.consentedSince },
      'deauthorized by Meta',
    );
    this.warnConsentedSince('deauthorize', request, outcome.consentedSince);
  }

  async requestDeletion(signedRequest: unknown): Promise<DeletionReceipt> {
    const request = this.verify(signedRequest);
    const fresh = this.codes.issue();
    // One transaction over both owners: the deletion is recorded exactly when it happened.
    const done = await this.transactions.run(async (tx) => {
      const earlier = await this.processed.recordFirst(
        { ...processedEntry(request, 'data_deletion'), confirmationCode: fresh },
        tx,
      );
      if (earlier !== undefined) {
        return { confirmationCode: earlier.confirmationCode ?? fresh, outcome: undefined };
      }
      const outcome = await this.tokens.eraseAccount(request.userId, consentedBefore(request), tx);
      await this.deletions.recordCompleted(fresh, outcome.changed, tx);
      return { confirmationCode: fresh, outcome };
    });
    const { confirmationCode, outcome } = done;
    if (outcome === undefined) {
      this.logger.warn(
        { userId: request.userId, issuedAt: request.issuedAt, confirmationCode },
        'data deletion already processed; answered with its confirmation code again',
      );
    } else {
      this.logger.log(
        { confirmationCode, connectionsDeleted: outcome.changed },
        'data deletion done',
      );
      this.warnConsentedSince('data deletion', request, outcome.consentedSince);
    }
    return {
      url: `${this.publicOrigin}${DATA_DELETION_PATH}/${confirmationCode}`,
      confirmationCode,
    };
  }

  async deletionStatus(confirmationCode: string): Promise<DeletionStatus> {
    const record = /^[A-Za-z0-9_-]{1,64}$/.test(confirmationCode)
      ? await this.deletions.find(confirmationCode)
      : null;
    if (record !== null) {
      return { kind: 'recorded', record };
    }
    // A code of ours with no record left: only retention removes one, after the deletion.
    const requestedOn = this.codes.issuedOn(confirmationCode);
    if (requestedOn !== undefined) {
      return { kind: 'pruned', confirmationCode, requestedOn, retentionDays: this.retentionDays };
    }
    throw new AppError(
      ErrorCode.DeletionRequestNotFound,
      'No data deletion request has this code.',
    );
  }

  /**
   * Retention: deletion requests completed before `cutoff` are forgotten, and so are Meta
   * requests past their expiry (their signature no longer counts anyway).
   */
  async pruneRecords(
    cutoff: Date,
    now = new Date(),
  ): Promise<{ deletionRequests: number; signedRequests: number }> {
    return {
      deletionRequests: await this.deletions.deleteCompletedBefore(cutoff),
      signedRequests: await this.processed.deleteExpired(now),
    };
  }

  private warnConsentedSince(
    what: string,
    request: SignedRequestPayload,
    consentedSince: string[],
  ): void {
    if (consentedSince.length > 0) {
      this.logger.warn(
        { userId: request.userId, issuedAt: request.issuedAt, kept: consentedSince },
        `${what} issued before the person's latest consent; those connections are unchanged`,
      );
    }
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

function processedEntry(request: SignedRequestPayload, kind: SignedRequestKind) {
  return {
    fingerprint: request.fingerprint,
    kind,
    expiresAt: signedRequestExpiresAt(request.issuedAt),
  };
}

/**
 * A request acts on connections consented before the end of the second it was issued in
 * (issued_at has whole seconds): a consent in a later second is newer than the request.
 */
function consentedBefore(request: SignedRequestPayload): Date {
  return new Date((request.issuedAt + 1) * 1000);
}
