import { randomBytes } from 'node:crypto';

/**
 * Odd ids above 2^53 (doubles there are 4 apart, so JSON.parse never reads one back exactly),
 * unique per process, so two emulators in one test file never share one.
 */
class IdSequence {
  private issued = 0n;

  constructor(private readonly first: bigint) {}

  next(): string {
    const id = this.first + 2n * this.issued;
    this.issued += 1n;
    return id.toString();
  }

  /** Never issue an id at or below one already in use (a restored emulator's). */
  reserveThrough(id: string): void {
    const taken = (BigInt(id) - this.first) / 2n + 1n;
    if (taken > this.issued) {
      this.issued = taken;
    }
  }
}

const accountIds = new IdSequence(27640875392278831n);
const mediaIds = new IdSequence(17895695668004551n);

export function nextInstagramId(): string {
  return accountIds.next();
}

export function reserveInstagramIdsThrough(id: string): void {
  accountIds.reserveThrough(id);
}

/** Media ids: a range of their own, also odd and above 2^53. */
export function nextMediaId(): string {
  return mediaIds.next();
}

export function reserveMediaIdsThrough(id: string): void {
  mediaIds.reserveThrough(id);
}

export function randomAccessToken(): string {
  return `IGAA${randomBytes(48).toString('base64url')}`;
}

export function randomAuthorizationCode(): string {
  return `AQ${randomBytes(36).toString('base64url')}`;
}

/** An opaque paging cursor, as Instagram's look (base64 of something only it reads). */
export function pagingCursor(mediaId: string): string {
  return Buffer.from(`QVFI:${mediaId}`, 'utf8').toString('base64url');
}

export function readPagingCursor(cursor: string): string | undefined {
  const match = /^QVFI:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match?.[1];
}

export function randomTraceId(): string {
  return `A${randomBytes(16).toString('base64url')}`;
}
