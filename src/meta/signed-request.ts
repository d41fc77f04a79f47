import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isObject, parseInstagramJson, readCount, readId } from '../instagram/instagram-json.js';

const BASE64URL = /^[A-Za-z0-9_-]+(={0,2})$/;
const MAX_LENGTH = 8192;
/** Meta calls back as the person acts; an older request is a replay and could undo a later consent. */
const MAX_AGE_SECONDS = 24 * 60 * 60;
const CLOCK_SKEW_SECONDS = 5 * 60;

export interface SignedRequestPayload {
  /** The account id Meta names: any of the account's ids (exchange, /me id, /me user_id). */
  userId: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  /** SHA-256 (hex) of the signature: the same for the same signed payload, however spelled. */
  fingerprint: string;
}

export class SignedRequestError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'SignedRequestError';
  }
}

/**
 * Verifies Meta's `signed_request`: base64url(HMAC-SHA256(appSecret, encodedPayload)) "."
 * encodedPayload. The signature is checked (in constant time) before the payload is read.
 */
export function verifySignedRequest(
  signedRequest: unknown,
  appSecret: string,
  nowMs: number = Date.now(),
): SignedRequestPayload {
  if (typeof signedRequest !== 'string' || signedRequest.length === 0) {
    throw new SignedRequestError('signed_request is missing');
  }
  if (signedRequest.length > MAX_LENGTH) {
    throw new SignedRequestError('signed_request is too long');
  }
  const parts = signedRequest.split('.');
  const [signature, payloadBytes] = parts.map(decodeBase64Url);
  if (parts.length !== 2 || signature === undefined || payloadBytes === undefined) {
    throw new SignedRequestError('signed_request is not two base64url parts joined by a dot');
  }
  const encodedPayload = parts[1];
  const expected = createHmac('sha256', appSecret).update(encodedPayload, 'utf8').digest();
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    throw new SignedRequestError('the signature does not match');
  }
  let payload: unknown;
  try {
    payload = parseInstagramJson(payloadBytes.toString('utf8'));
  } catch {
    throw new SignedRequestError('the payload is not JSON');
  }
  if (!isObject(payload)) {
    throw new SignedRequestError('the payload is not a JSON object');
  }
  if (typeof payload.algorithm !== 'string' || payload.algorithm.toUpperCase() !== 'HMAC-SHA256') {
    throw new SignedRequestError('the algorithm is not HMAC-SHA256');
  }
  const userId = readId(payload.user_id);
  if (userId === undefined) {
    throw new SignedRequestError('the payload has no user_id');
  }
  const issuedAt = readCount(payload.issued_at);
  if (issuedAt === undefined) {
    throw new SignedRequestError('the payload has no issued_at');
  }
  const ageSeconds = nowMs / 1000 - issuedAt;
  if (ageSeconds > MAX_AGE_SECONDS) {
    throw new SignedRequestError('issued_at is more than a day old');
  }
  if (ageSeconds < -CLOCK_SKEW_SECONDS) {
    throw new SignedRequestError('issued_at is in the future');
  }
  return { userId, issuedAt, fingerprint: createHash('sha256').update(signature).digest('hex') };
}

/** When a request issued at `issuedAt` (seconds) stops being accepted, replayed or not. */
export function signedRequestExpiresAt(issuedAt: number): Date {
  return new Date((issuedAt + MAX_AGE_SECONDS + CLOCK_SKEW_SECONDS) * 1000);
}

/**
 * base64url in its one canonical spelling: the URL-safe alphabet, padding only if complete,
 * unused trailing bits zero. Node's decoder would take (and silently ignore) anything else.
 */
export function decodeBase64Url(text: string): Buffer | undefined {
  const match = BASE64URL.exec(text);
  if (match === null || (match[1].length > 0 && text.length % 4 !== 0)) {
    return undefined;
  }
  const unpadded = text.slice(0, text.length - match[1].length);
  if (unpadded.length % 4 === 1) {
    return undefined;
  }
  const bytes = Buffer.from(unpadded, 'base64url');
  return bytes.toString('base64url') === unpadded ? bytes : undefined;
}
