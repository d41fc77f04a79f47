import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, ErrorCode } from '../common/app-error.js';
import type { AppConfig } from '../config/app-config.js';
import type { ConnectionWithToken, StoredToken, TokenKind } from './connection.record.js';
import { type SealedToken, TokenCipher } from './token-cipher.js';

/** The vault's one TokenCipher, shaped for the repository's rows. */
@Injectable()
export class TokenSealer {
  private readonly cipher: TokenCipher;

  constructor(config: ConfigService<AppConfig, true>) {
    this.cipher = new TokenCipher(config.get('vault', { infer: true }).encryptionKeys);
  }

  seal(igUserId: string, token: string, kind: TokenKind, lifetimeSeconds: number): StoredToken {
    const issuedAt = new Date();
    return {
      kind,
      ...this.cipher.seal(token, igUserId),
      issuedAt,
      expiresAt: new Date(issuedAt.getTime() + lifetimeSeconds * 1000),
    };
  }

  get currentKeyId(): string {
    return this.cipher.currentKeyId;
  }

  hasKey(keyId: string): boolean {
    return this.cipher.hasKey(keyId);
  }

  /** Configured keys other than the current one: readable, but no longer written. */
  get olderKeyIds(): string[] {
    return this.cipher.keyIds.slice(1);
  }

  /** The same token sealed again under the current key (fresh nonce). */
  reseal(connection: ConnectionWithToken): SealedToken {
    return this.cipher.seal(this.openStored(connection), connection.igUserId);
  }

  openStored(connection: ConnectionWithToken): string {
    if (connection.tokenCiphertext === null || connection.tokenKeyId === null) {
      throw new AppError(
        ErrorCode.ConnectionNotActive,
        `The connection of ${connection.igUserId} holds no token; the person must authorize again.`,
      );
    }
    return this.cipher.open(
      { keyId: connection.tokenKeyId, ciphertext: Buffer.from(connection.tokenCiphertext) },
      connection.igUserId,
    );
  }
}
