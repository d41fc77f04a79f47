import { Injectable, Logger } from '@nestjs/common';
import { RewrapRepository } from './rewrap.repository.js';
import { TokenSealer } from './token-sealer.js';

export interface RewrapReport {
  keyId: string;
  rewrapped: number;
  /** Changed by someone else while we worked (already under a newer write): left alone. */
  skipped: number;
  /** Sealed under keys TOKEN_ENCRYPTION_KEYS no longer lists: unreadable, left as they are. */
  missingKey: { igUserId: string; keyId: string }[];
  /**
   * Readable tokens still under an older key when the run ended: written meanwhile by a
   * replica that still encrypts with it. Removing that key now would lose them.
   */
  remaining: number;
}

/** Rows changed under our hands are retried; a writer on an old key would keep us going. */
const MAX_PASSES = 3;

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
    private readonly repository: RewrapRepository,
    private readonly sealer: TokenSealer,
  ) {}

  async rewrapAll(): Promise<RewrapReport> {
    const keyId = this.sealer.currentKeyId;
    const report: RewrapReport = { keyId, rewrapped: 0, skipped: 0, missingKey: [], remaining: 0 };
    for (let pass = 1; pass <= MAX_PASSES; pass++) {
      const missing: RewrapReport['missingKey'] = [];
      const skipped = await this.pass(keyId, missing, report);
      report.missingKey = missing;
      if (skipped === 0) {
        break;
      }
    }
    report.remaining = await this.repository.countSealedUnder(this.sealer.olderKeyIds);
    return report;
  }

  /** One pass over every token under another key; answers how many changed under it. */
  private async pass(
    keyId: string,
    missing: RewrapReport['missingKey'],
    report: RewrapReport,
  ): Promise<number> {
    let rewrapped = 0;
    let skipped = 0;
    let after = '';
    for (;;) {
      const batch = await this.repository.findSealedUnderOtherKeys(keyId, after, BATCH_SIZE);
      if (batch.length === 0) {
        break;
      }
      for (const connection of batch) {
        if (connection.tokenKeyId !== null && !this.sealer.hasKey(connection.tokenKeyId)) {
          missing.push({ igUserId: connection.igUserId, keyId: connection.tokenKeyId });
          continue;
        }
        const replaced = await this.repository.replaceCiphertext(
          connection,
          this.sealer.reseal(connection),
        );
        if (replaced) {
          rewrapped += 1;
        } else {
          skipped += 1;
        }
      }
      after = batch[batch.length - 1].igUserId;
      this.logger.log({ keyId, rewrapped, skipped, missingKey: missing.length }, 'rewrap progress');
    }
    report.rewrapped += rewrapped;
    report.skipped += skipped;
    return skipped;
  }
}
