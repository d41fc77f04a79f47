import type { ApiKeyConfig } from '../config/app-config.js';
import { ApiKeyMatcher, bearerSecret } from './api-key.js';

const READER: ApiKeyConfig = {
  name: 'reader',
  secret: 'reader-secret-0123456789',
  scopes: new Set(['tokens.read']),
};
const WRITER: ApiKeyConfig = {
  name: 'writer',
  secret: 'writer-secret-9876543210',
  scopes: new Set(['tokens.read', 'tokens.write']),
};

describe('ApiKeyMatcher', () => {
  const matcher = new ApiKeyMatcher([READER, WRITER]);

  it('finds the key a secret belongs to, with its scopes', () => {
    expect(matcher.match(WRITER.secret)).toEqual({ name: 'writer', scopes: WRITER.scopes });
    expect(matcher.match(READER.secret)).toEqual({ name: 'reader', scopes: READER.scopes });
  });

  it('never hands out the secret with the key', () => {
    expect(JSON.stringify(matcher.match(READER.secret))).not.toContain(READER.secret);
  });

  it.each([
    ['an unknown secret', 'someone-elses-secret-000'],
    ['an empty secret', ''],
    ['a prefix of a secret', READER.secret.slice(0, -1)],
    ['a secret with something appended', `${READER.secret}x`],
    ['a secret in the wrong case', READER.secret.toUpperCase()],
  ])('finds no key for %s', (_, secret) => {
    expect(matcher.match(secret)).toBeUndefined();
  });
});

describe('bearerSecret', () => {
  it('reads the secret of a Bearer header', () => {
    expect(bearerSecret('Bearer s3cret')).toBe('s3cret');
  });

  it('accepts the scheme in any case', () => {
    expect(bearerSecret('bearer s3cret')).toBe('s3cret');
    expect(bearerSecret('BEARER s3cret')).toBe('s3cret');
  });

  it.each([
    ['another scheme', 'Basic s3cret'],
    ['no header', undefined],
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['two values', 'Bearer a b'],
  ])('reads no secret from %s', (_, header) => {
    expect(bearerSecret(header)).toBeUndefined();
  });
});
