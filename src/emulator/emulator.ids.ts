import { randomBytes } from 'node:crypto';

// Odd and above 2^53: doubles there are 4 apart, so JSON.parse never reads one back exactly.
const FIRST_ID = 27640875392278831n;
let issued = 0n;

/** Unique per process, so two emulators in one test file never share an account id. */
export function nextInstagramId(): string {
  const id = FIRST_ID + 2n * issued;
  issued += 1n;
  return id.toString();
}

/** Never issue an id at or below one already in use (a restored emulator's accounts). */
export function reserveInstagramIdsThrough(id: string): void {
  const taken = (BigInt(id) - FIRST_ID) / 2n + 1n;
  if (taken > issued) {
    issued = taken;
  }
}

export function randomAccessToken(): string {
  return `IGAA${randomBytes(48).toString('base64url')}`;
}

export function randomAuthorizationCode(): string {
  return `AQ${randomBytes(36).toString('base64url')}`;
}

export function randomTraceId(): string {
  return `A${randomBytes(16).toString('base64url')}`;
}
