import { Injectable, Logger } from '@nestjs/common';
import { TokenSealer } from './token-sealer.js';
import { TokensRepository } from './tokens.repository.js';

export interface RewrapReport {
  keyId: string;
  rewrapped: number;
  /** Changed by someone else while we worked (already under a newer write): left alone. */
  skipped: number;
  /** Sealed under keys TOKEN_ENCRYPTION_KEYS no longer lists: unreadable, left as they are. */
  missingKey: { igUserId: string; keyId: string }[];
}

const BATCH_SIZE = 200;

/**
 * Re-encrypts every stored token under the first configured key, in batches. Each row is
 * swapped only if unchanged since read, so it is safe while the service runs, and a second
 * run finds nothing to do.
 */
@Injectable()
export class TokenRewrapper {
  private readonly logger = new Logger(TokenRewrapper.name);

  constructor(
    private readonly repository: TokensRepository,
    private readonly sealer: TokenSealer,
  ) {}

  async rewrapAll(): Promise<RewrapReport> {
    const keyId = this.sealer.currentKeyId;
    const report: RewrapReport = { keyId, rewrapped: 0, skipped: 0, missingKey: [] };
    let after = '';
    for (;;) {
      const batch = await this.repository.findSealedUnderOtherKeys(keyId, after, BATCH_SIZE);
      if (batch.length === 0) {
        break;
      }
      for (const connection of batch) {
        if (connection.tokenKeyId !== null && !this.sealer.hasKey(connection.tokenKeyId)) {
          report.missingKey.push({ igUserId: connection.igUserId, keyId: connection.tokenKeyId });
          continue;
        }
        const replaced = await this.repository.replaceCiphertext(
          connection,
          this.sealer.reseal(connection),
        );
        report[replaced ? 'rewrapped' : 'skipped'] += 1;
      }
      after = batch[batch.length - 1].igUserId;
      this.logger.log({ ...report, missingKey: report.missingKey.length }, 'rewrap progress');
    }
    return report;
  }
}
