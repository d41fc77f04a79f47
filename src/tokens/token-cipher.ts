import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { EncryptionKeyConfig } from '../config/app-config.js';

const FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/**
 * Nonces are drawn from the CSPRNG this many at a time: a call per seal cost 5-30 µs, a few
 * per cent of a sweep's CPU. A GCM nonce must never repeat; it need not be secret (it is
 * stored beside the ciphertext), so nonces drawn ahead may wait in memory.
 */
const NONCES_PER_DRAW = 256;
let drawnNonces = Buffer.alloc(0);
let nextNonceAt = 0;

function freshNonce(): Buffer {
  if (nextNonceAt + NONCE_BYTES > drawnNonces.length) {
    drawnNonces = randomFillSync(Buffer.allocUnsafeSlow(NONCE_BYTES * NONCES_PER_DRAW));
    nextNonceAt = 0;
  }
  const nonce = drawnNonces.subarray(nextNonceAt, nextNonceAt + NONCE_BYTES);
  nextNonceAt += NONCE_BYTES;
  return nonce;
}

export interface SealedToken {
  keyId: string;
  /** version (1 byte) || nonce (12) || ciphertext || GCM tag (16) */
  ciphertext: Buffer;
}

/**
 * AES-256-GCM with a fresh random nonce per write. The connection's id is the associated
 * data, so a ciphertext copied onto another row fails to open. The first key seals; any
 * configured key opens what it sealed.
 */
export class TokenCipher {
  private readonly keys: ReadonlyMap<string, Buffer>;
  /** The id of the key new writes use (the first configured). */
  readonly currentKeyId: string;

  constructor(keys: EncryptionKeyConfig[]) {
    if (keys.length === 0) {
      throw new Error('TokenCipher needs at least one key');
    }
    this.keys = new Map(keys.map((key) => [key.id, key.key]));
    this.currentKeyId = keys[0].id;
  }

  hasKey(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Every configured key id, the current one first. */
  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  seal(token: string, igUserId: string): SealedToken {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const nonce = freshNonce();
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(igUserId));
    const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return {
      keyId: this.currentKeyId,
      ciphertext: Buffer.concat([Buffer.of(FORMAT_VERSION), nonce, body, cipher.getAuthTag()]),
    };
  }

  open(sealed: SealedToken, igUserId: string): string {
    const key = this.keys.get(sealed.keyId);
    if (key === undefined) {
      throw new AppError(
        ErrorCode.EncryptionKeyMissing,
        `The token of ${igUserId} was encrypted under key "${sealed.keyId}", which TOKEN_ENCRYPTION_KEYS no longer lists.`,
      );
    }
    const blob = sealed.ciphertext;
    if (blob.length < 1 + NONCE_BYTES + TAG_BYTES || blob[0] !== FORMAT_VERSION) {
      throw unreadable(igUserId);
    }
    const nonce = blob.subarray(1, 1 + NONCE_BYTES);
    const tag = blob.subarray(blob.length - TAG_BYTES);
    const body = blob.subarray(1 + NONCE_BYTES, blob.length - TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(igUserId));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      throw unreadable(igUserId);
    }
  }
}

function associatedData(igUserId: string): Buffer {
  return Buffer.from(`instagram-token-vault:v${FORMAT_VERSION}:${igUserId}`, 'utf8');
}

function unreadable(igUserId: string): AppError {
  return new AppError(
    ErrorCode.InternalError,
    `The stored token of ${igUserId} failed its integrity check and was not used.`,
  );
}
