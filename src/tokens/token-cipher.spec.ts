import { AppError, ErrorCode } from '../common/app-error.js';
import { type SealedToken, TokenCipher } from './token-cipher.js';

const KEY_A = { id: 'a', key: Buffer.alloc(32, 0xa1) };
const KEY_B = { id: 'b', key: Buffer.alloc(32, 0xb2) };
const TOKEN = 'IGAAtokenvalue0123456789abcdefghijklmnopqrstuvwxyz';
const IG_USER_ID = '27640875392278831';

function openError(cipher: TokenCipher, sealed: SealedToken, igUserId: string): AppError {
  let opened: string | undefined;
  try {
    opened = cipher.open(sealed, igUserId);
  } catch (error) {
    if (error instanceof AppError) {
      return error;
    }
    throw error;
  }
  const what = opened === TOKEN ? 'the token' : 'a value';
  throw new Error(`open() returned ${what} instead of failing`);
}

function withByteFlipped(sealed: SealedToken, index: number): SealedToken {
  const ciphertext = Buffer.from(sealed.ciphertext);
  ciphertext[index] ^= 0x01;
  return { ...sealed, ciphertext };
}

describe('TokenCipher', () => {
  it('opens what it sealed', () => {
    const cipher = new TokenCipher([KEY_A]);

    expect(cipher.open(cipher.seal(TOKEN, IG_USER_ID), IG_USER_ID)).toBe(TOKEN);
  });

  it('seals the same token differently each time and never holds its plaintext', () => {
    const cipher = new TokenCipher([KEY_A]);

    const first = cipher.seal(TOKEN, IG_USER_ID);
    const second = cipher.seal(TOKEN, IG_USER_ID);

    expect(first.ciphertext.equals(second.ciphertext)).toBe(false);
    for (const sealed of [first, second]) {
      expect(sealed.ciphertext.includes(Buffer.from(TOKEN, 'utf8'))).toBe(false);
      expect(sealed.ciphertext.toString('latin1')).not.toContain(TOKEN);
    }
    expect(cipher.open(first, IG_USER_ID)).toBe(TOKEN);
    expect(cipher.open(second, IG_USER_ID)).toBe(TOKEN);
  });

  it('never gives two seals the same nonce, across the blocks its nonces are drawn in', () => {
    const cipher = new TokenCipher([KEY_A, KEY_B]);
    const nonces = new Set<string>();
    const seals = 1000; // several draws of nonces

    for (let i = 0; i < seals; i++) {
      const sealed = cipher.seal(TOKEN, IG_USER_ID);
      nonces.add(sealed.ciphertext.subarray(1, 13).toString('hex'));
      expect(cipher.open(sealed, IG_USER_ID)).toBe(TOKEN);
    }

    expect(nonces.size).toBe(seals);
  });

  it('refuses to open a token sealed for another Instagram user', () => {
    const cipher = new TokenCipher([KEY_A]);
    const sealed = cipher.seal(TOKEN, IG_USER_ID);

    const error = openError(cipher, sealed, '17841400000000001');

    expect(error.code).toBe(ErrorCode.InternalError);
    expect(error.message).not.toContain(TOKEN);
  });

  it.each([
    ['the version byte', () => 0],
    ['a nonce byte', () => 5],
    ['a ciphertext byte', () => 20],
    ['the last tag byte', (length: number) => length - 1],
  ])('refuses a sealed token with %s flipped', (_, position) => {
    const cipher = new TokenCipher([KEY_A]);
    const sealed = cipher.seal(TOKEN, IG_USER_ID);

    const tampered = withByteFlipped(sealed, position(sealed.ciphertext.length));

    const error = openError(cipher, tampered, IG_USER_ID);

    expect(error.code).toBe(ErrorCode.InternalError);
  });

  it('refuses a truncated sealed token', () => {
    const cipher = new TokenCipher([KEY_A]);
    const sealed = cipher.seal(TOKEN, IG_USER_ID);

    const truncated = { ...sealed, ciphertext: sealed.ciphertext.subarray(0, 20) };

    const error = openError(cipher, truncated, IG_USER_ID);

    expect(error.code).toBe(ErrorCode.InternalError);
  });

  it('reports encryption_key_missing for a key id it does not know', () => {
    const sealed = new TokenCipher([KEY_A]).seal(TOKEN, IG_USER_ID);

    const error = openError(new TokenCipher([KEY_B]), sealed, IG_USER_ID);

    expect(error.code).toBe(ErrorCode.EncryptionKeyMissing);
    expect(error.status).toBe(500);
    expect(error.message).toContain('"a"');
  });

  it('still opens tokens sealed under a retired first key after rotation', () => {
    const sealed = new TokenCipher([KEY_A]).seal(TOKEN, IG_USER_ID);

    expect(sealed.keyId).toBe('a');
    expect(new TokenCipher([KEY_B, KEY_A]).open(sealed, IG_USER_ID)).toBe(TOKEN);
  });

  it('seals under the first configured key', () => {
    const rotated = new TokenCipher([KEY_B, KEY_A]);

    const sealed = rotated.seal(TOKEN, IG_USER_ID);

    expect(sealed.keyId).toBe('b');
    expect(new TokenCipher([KEY_B]).open(sealed, IG_USER_ID)).toBe(TOKEN);
    expect(openError(new TokenCipher([KEY_A]), sealed, IG_USER_ID).code).toBe(
      ErrorCode.EncryptionKeyMissing,
    );
  });

  it('refuses to be built without a key', () => {
    expect(() => new TokenCipher([])).toThrow('at least one key');
  });
});
