import { ConfirmationCodes } from './confirmation-code.js';

describe('ConfirmationCodes', () => {
  const codes = new ConfirmationCodes('app-secret-0123456789abcdef');

  it('issues a different URL-safe code each time', () => {
    const first = codes.issue();
    const second = codes.issue();

    expect(first).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(second).not.toBe(first);
  });

  it('tells the day a code of its own was issued', () => {
    const code = codes.issue(new Date('2025-03-14T15:09:26Z'));

    expect(codes.issuedOn(code)?.toISOString()).toBe('2025-03-14T00:00:00.000Z');
  });

  it('does not recognise a code issued under another app secret', () => {
    const foreign = new ConfirmationCodes('another-secret-0123456789').issue();

    expect(codes.issuedOn(foreign)).toBeUndefined();
  });

  it('does not recognise a code with one character changed', () => {
    const code = codes.issue();
    const changed = `${code.slice(0, 3)}${code[3] === 'A' ? 'B' : 'A'}${code.slice(4)}`;

    expect(codes.issuedOn(changed)).toBeUndefined();
  });

  it.each([
    ['a random code of the old kind', 'k3J9xQ2mZ8pL4wVb'],
    ['an empty string', ''],
    ['text that is not base64url', 'not a code!'],
  ])('does not recognise %s', (_name, code) => {
    expect(codes.issuedOn(code)).toBeUndefined();
  });
});
