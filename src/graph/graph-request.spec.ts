import { AppError } from '../common/app-error.js';
import { GraphPathPatterns } from './graph-paths.js';
import { readGraphRequest } from './graph-request.js';

const PATTERNS = new GraphPathPatterns(['me', 'me/media', '{id}', '{id}/children']);
const BASE = '/graph/27640875392278831';

function refusal(url: string): { status: number; code: string } {
  try {
    readGraphRequest(url, PATTERNS);
  } catch (error) {
    if (error instanceof AppError) {
      return { status: error.status, code: error.code };
    }
    throw error;
  }
  throw new Error(`${url} was let through`);
}

describe('readGraphRequest', () => {
  it('reads the path and passes every query parameter on, in order, repeated ones too', () => {
    expect(
      readGraphRequest(`${BASE}/me/media?fields=id,caption&limit=5&after=QVFI&x=1&x=2`, PATTERNS),
    ).toEqual({
      segments: ['me', 'media'],
      pattern: 'me/media',
      query: [
        ['fields', 'id,caption'],
        ['limit', '5'],
        ['after', 'QVFI'],
        ['x', '1'],
        ['x', '2'],
      ],
    });
  });

  it('decodes the path once: an encoded slash is a slash (as typed clients send it)', () => {
    expect(readGraphRequest(`${BASE}/me%2Fmedia`, PATTERNS)).toMatchObject({
      segments: ['me', 'media'],
      pattern: 'me/media',
    });
    expect(readGraphRequest(`${BASE}/17895695668004551/children`, PATTERNS).pattern).toBe(
      '{id}/children',
    );
  });

  it.each([
    'me/../oauth/access_token',
    'me%2F..%2F..%2Frefresh_access_token',
    '%2e%2e/me',
    '%252e%252e/me',
    'me%252Fmedia',
    'me%3Ffields=access_token',
    'me%23x',
    'me%00',
    'me/media/',
    'me%',
    'refresh_access_token',
    'oauth/access_token',
    'me/stories',
  ])('refuses the path %s with 403 graph_path_not_allowed', (path) => {
    expect(refusal(`${BASE}/${path}`)).toEqual({ status: 403, code: 'graph_path_not_allowed' });
  });

  it.each([
    ['access_token', 'me?access_token=IGAAmine'],
    ['access_token in another case', 'me?Access_Token=IGAAmine'],
    ['access_token percent-encoded', 'me?access%5Ftoken=IGAAmine'],
    ['appsecret_proof', 'me?appsecret_proof=abc'],
    ['a method override (a write)', 'me?method=delete'],
    ['errors answered as 200', 'me?suppress_http_code=1'],
    ['JSONP', 'me?callback=steal'],
    ['a field asking for the token', 'me?fields=id,access_token'],
    ['a nested field asking for the token', 'me/media?fields=id,owner%7Baccess_token%7D'],
    ['a control character', 'me?fields=id%0Ausername'],
    ['an odd parameter name', 'me?a%20b=1'],
    ['a value too long', `me?fields=${'a'.repeat(2049)}`],
    ['too many parameters', `me?${Array.from({ length: 33 }, (_, i) => `p${i}=1`).join('&')}`],
  ])('refuses %s with 400 validation_failed', (_name, path) => {
    expect(refusal(`${BASE}/${path}`)).toEqual({ status: 400, code: 'validation_failed' });
  });
});
