import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url } from './signed-request.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const RANDOM_BYTES = 8;
const TAG_BYTES = 6;
/** Day number (4 bytes), random, tag: 18 bytes, 24 base64url characters. */
const CODE_BYTES = 4 + RANDOM_BYTES + TAG_BYTES;

/**
 * Confirmation codes of data deletion requests. Each names the day it was issued and carries a
 * tag made with a key of the service's, so once a request's record is pruned the status page
 * can still tell a code of ours (its deletion was done) from one that never was.
 */
export class ConfirmationCodes {
  private readonly key: Buffer;

  constructor(appSecret: string) {
    this.key = createHmac('sha256', appSecret).update('data-deletion-confirmation-code').digest();
  }

  issue(now = new Date()): string {
    const body = Buffer.alloc(4 + RANDOM_BYTES);
    body.writeUInt32BE(Math.floor(now.getTime() / DAY_MS), 0);
    randomBytes(RANDOM_BYTES).copy(body, 4);
    return Buffer.concat([body, this.tag(body)]).toString('base64url');
  }

  /** The day (UTC midnight) a code of ours was issued; undefined for any other string. */
  issuedOn(code: string): Date | undefined {
    const bytes = decodeBase64Url(code);
    if (bytes === undefined || bytes.length !== CODE_BYTES) {
      return undefined;
    }
    const body = bytes.subarray(0, CODE_BYTES - TAG_BYTES);
    if (!timingSafeEqual(bytes.subarray(CODE_BYTES - TAG_BYTES), this.tag(body))) {
      return undefined;
    }
    return new Date(body.readUInt32BE(0) * DAY_MS);
  }

  private tag(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, TAG_BYTES);
  }
}
