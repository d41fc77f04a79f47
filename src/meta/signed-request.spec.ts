import { createHmac } from 'node:crypto';
import { signEncoded, signRequest } from '../../test/support/meta.js';
import { decodeBase64Url, SignedRequestError, verifySignedRequest } from './signed-request.js';

const SECRET = 'app-secret-0123456789abcdef';
const ISSUED_AT = 1_790_000_000;
/** A minute after ISSUED_AT, in milliseconds. */
const NOW = (ISSUED_AT + 60) * 1000;

/** Signs an exact payload text, so tests can send numbers JSON.stringify could not write. */
function signText(payloadText: string, secret = SECRET): string {
  return signEncoded(Buffer.from(payloadText, 'utf8').toString('base64url'), secret);
}

function refusal(signedRequest: unknown, secret = SECRET): string {
  try {
    verifySignedRequest(signedRequest, secret, NOW);
  } catch (error) {
    expect(error).toBeInstanceOf(SignedRequestError);
    return (error as SignedRequestError).reason;
  }
  throw new Error('the signed_request was accepted');
}

describe('verifySignedRequest', () => {
  it('answers the user_id and issued_at of a request signed with the app secret', () => {
    const signed = signRequest(
      { algorithm: 'HMAC-SHA256', issued_at: ISSUED_AT, user_id: '17841400000000001' },
      SECRET,
    );

    expect(verifySignedRequest(signed, SECRET, NOW)).toEqual({
      userId: '17841400000000001',
      issuedAt: ISSUED_AT,
      fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('keeps a numeric user_id above 2^53 exact', () => {
    const signed = signText(
      `{"algorithm":"HMAC-SHA256","issued_at":${ISSUED_AT},"user_id":27640875392278831}`,
    );

    expect(verifySignedRequest(signed, SECRET, NOW).userId).toBe('27640875392278831');
  });

  it('accepts the algorithm name in lower case', () => {
    const signed = signRequest(
      { algorithm: 'hmac-sha256', issued_at: ISSUED_AT, user_id: '42' },
      SECRET,
    );

    expect(verifySignedRequest(signed, SECRET, NOW).userId).toBe('42');
  });

  it('refuses a request signed with another secret', () => {
    const forged = signRequest({ algorithm: 'HMAC-SHA256', user_id: '42' }, 'another-secret-value');

    expect(refusal(forged)).toMatch(/signature/);
  });

  it('refuses a payload changed after signing', () => {
    const signed = signRequest({ algorithm: 'HMAC-SHA256', user_id: '42' }, SECRET);
    const [signature] = signed.split('.');
    const tampered = Buffer.from('{"algorithm":"HMAC-SHA256","user_id":"43"}').toString(
      'base64url',
    );

    expect(refusal(`${signature}.${tampered}`)).toMatch(/signature/);
  });

  it('refuses an algorithm other than HMAC-SHA256 even when the signature is right', () => {
    const signed = signRequest({ algorithm: 'HMAC-SHA1', user_id: '42' }, SECRET);

    expect(refusal(signed)).toMatch(/algorithm/);
  });

  it('refuses a payload without an algorithm', () => {
    expect(refusal(signRequest({ user_id: '42' }, SECRET))).toMatch(/algorithm/);
  });

  it.each([
    ['characters outside base64url', 'ab*cd.ef!gh'],
    ['standard base64 characters', 'ab+c/d.efgh'],
    ['no dot', 'abcdefgh'],
    ['three parts', 'ab.cd.ef'],
    ['an empty signature', '.abcd'],
    ['an empty payload', 'abcd.'],
  ])('refuses a malformed request: %s', (_name, signedRequest) => {
    expect(refusal(signedRequest)).toMatch(/base64url/);
  });

  it.each([
    ['undefined', undefined],
    ['an empty string', ''],
    ['a number', 42],
    ['an array', ['a.b']],
  ])('refuses a missing signed_request: %s', (_name, signedRequest) => {
    expect(refusal(signedRequest)).toMatch(/missing/);
  });

  it('refuses a request longer than 8 KiB before computing anything', () => {
    const long = signRequest(
      { algorithm: 'HMAC-SHA256', user_id: '42', padding: 'x'.repeat(9000) },
      SECRET,
    );

    expect(refusal(long)).toMatch(/too long/);
  });

  it('refuses a signature of the wrong length without throwing anything else', () => {
    const signed = signRequest({ algorithm: 'HMAC-SHA256', user_id: '42' }, SECRET);
    const [signature, payload] = signed.split('.');
    const short = Buffer.from(signature, 'base64url').subarray(0, 16).toString('base64url');
    const long = Buffer.concat([Buffer.from(signature, 'base64url'), Buffer.alloc(1)]).toString(
      'base64url',
    );

    expect(refusal(`${short}.${payload}`)).toMatch(/signature/);
    expect(refusal(`${long}.${payload}`)).toMatch(/signature/);
  });

  it('refuses a payload without user_id', () => {
    expect(
      refusal(signRequest({ algorithm: 'HMAC-SHA256', issued_at: ISSUED_AT }, SECRET)),
    ).toMatch(/user_id/);
  });

  it.each([
    ['not digits', 'abc'],
    ['empty', ''],
    ['a negative number', -5],
    ['a fraction', 1.5],
    ['an object', { id: '42' }],
  ])('refuses a user_id that is %s', (_name, userId) => {
    expect(refusal(signRequest({ algorithm: 'HMAC-SHA256', user_id: userId }, SECRET))).toMatch(
      /user_id/,
    );
  });

  it('refuses a payload that is not JSON', () => {
    expect(refusal(signText('user_id=42&algorithm=HMAC-SHA256'))).toMatch(/not JSON/);
  });

  it.each([
    ['an array', '[{"algorithm":"HMAC-SHA256","user_id":"42"}]'],
    ['a string', '"HMAC-SHA256"'],
    ['null', 'null'],
    ['a number', '42'],
  ])('refuses a payload that is %s rather than an object', (_name, text) => {
    expect(refusal(signText(text))).toMatch(/object/);
  });

  it('round-trips what signRequest builds: base64url signature of the encoded payload', () => {
    const payload = { algorithm: 'HMAC-SHA256', issued_at: ISSUED_AT, user_id: '99' };

    const signed = signRequest(payload, SECRET);

    const [signature, encodedPayload] = signed.split('.');
    expect(signed).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(encodedPayload, 'base64url').toString('utf8'))).toEqual(payload);
    expect(signature).toBe(createHmac('sha256', SECRET).update(encodedPayload).digest('base64url'));
    expect(verifySignedRequest(signed, SECRET, NOW)).toMatchObject({
      userId: '99',
      issuedAt: ISSUED_AT,
    });
  });

  it('refuses a request without issued_at, older than a day, or from the future', () => {
    const sign = (issuedAt?: number) =>
      signRequest(
        issuedAt === undefined
          ? { algorithm: 'HMAC-SHA256', user_id: '1' }
          : { algorithm: 'HMAC-SHA256', issued_at: issuedAt, user_id: '1' },
        SECRET,
      );
    expect(() => verifySignedRequest(sign(), SECRET, NOW)).toThrow(/no issued_at/);
    expect(() => verifySignedRequest(sign(ISSUED_AT - 86_400), SECRET, NOW)).toThrow(/a day old/);
    expect(() => verifySignedRequest(sign(ISSUED_AT + 3_600), SECRET, NOW)).toThrow(/future/);
    expect(verifySignedRequest(sign(ISSUED_AT - 3_600), SECRET, NOW).userId).toBe('1');
  });
});

describe('decodeBase64Url', () => {
  it.each([
    ['unpadded', 'aGk', 'hi'],
    ['with its complete padding', 'aGk=', 'hi'],
    ['URL-safe characters', '-_8', Buffer.from([0xfb, 0xff]).toString('latin1')],
  ])('decodes %s text', (_name, text, expected) => {
    expect(decodeBase64Url(text)?.toString('latin1')).toBe(expected);
  });

  it.each([
    ['standard base64 characters', '+/8'],
    ['non-zero unused bits (a second spelling of "hi")', 'aGl'],
    ['padding that does not complete a quantum', 'aGk=='],
    ['a length no encoding has', 'aGkhY'],
    ['spaces', 'aG k'],
    ['nothing', ''],
  ])('refuses %s', (_name, text) => {
    expect(decodeBase64Url(text)).toBeUndefined();
  });
});

describe('replays', () => {
  it('gives the same fingerprint to the same request and another to a new one', () => {
    const payload = { algorithm: 'HMAC-SHA256', issued_at: ISSUED_AT, user_id: '7' };
    const first = verifySignedRequest(signRequest(payload, SECRET), SECRET, NOW);
    const again = verifySignedRequest(signRequest(payload, SECRET), SECRET, NOW);
    const later = verifySignedRequest(
      signRequest({ ...payload, issued_at: ISSUED_AT + 1 }, SECRET),
      SECRET,
      NOW,
    );

    expect(first.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(later.fingerprint).not.toBe(first.fingerprint);
  });

  it('refuses a signature respelled with other unused bits instead of counting it as new', () => {
    const signed = signRequest(
      { algorithm: 'HMAC-SHA256', issued_at: ISSUED_AT, user_id: '7' },
      SECRET,
    );
    const [signature, payload] = signed.split('.');
    // 32 bytes are 43 characters; the last carries 2 unused bits.
    const last = signature[signature.length - 1];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = signature.slice(0, -1) + alphabet[alphabet.indexOf(last) + 1];

    expect(Buffer.from(respelled, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(refusal(`${respelled}.${payload}`)).toMatch(/base64url/);
  });
});
