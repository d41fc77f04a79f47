import { decodeMediaCursor, encodeMediaCursor } from './media-cursor.js';

const ACCOUNT = '27640875392278831';
const AFTER = 'QVFIUnRaV2xfa0NTYm9fTWdUbUI4ZAGpiSGFRMXRkaFBxM2JCd0dXRTlyc0F5';

describe('media cursors', () => {
  it("carry Instagram's cursor for the same account, and nothing that looks like a URL", () => {
    const cursor = encodeMediaCursor(ACCOUNT, AFTER);

    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(AFTER);
    expect(decodeMediaCursor(ACCOUNT, cursor)).toBe(AFTER);
  });

  it("are refused for another account, so one account's page never continues another's", () => {
    expect(decodeMediaCursor('27640875392278833', encodeMediaCursor(ACCOUNT, AFTER))).toBe(
      undefined,
    );
  });

  it.each([
    ['not base64url', 'a+b/c='],
    ['not JSON inside', Buffer.from('after').toString('base64url')],
    ['the wrong shape', Buffer.from(JSON.stringify({ after: AFTER })).toString('base64url')],
    ['an empty cursor inside', encodeMediaCursor(ACCOUNT, '')],
    ['a control character inside', encodeMediaCursor(ACCOUNT, 'a\nb')],
    ['a cursor too long', 'A'.repeat(2000)],
  ])('are refused when %s', (_name, cursor) => {
    expect(decodeMediaCursor(ACCOUNT, cursor)).toBeUndefined();
  });
});
