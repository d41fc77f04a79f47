import { AppError, ErrorCode } from '../common/app-error.js';
import { checkReturnTo, withOutcome } from './return-url.js';

const ALLOWED = ['https://app.test', 'http://localhost:5173'];

function refusal(returnTo: string, allowed: readonly string[] = ALLOWED): AppError {
  let accepted: string;
  try {
    accepted = checkReturnTo(returnTo, allowed);
  } catch (error) {
    if (error instanceof AppError) {
      return error;
    }
    throw error;
  }
  throw new Error(`checkReturnTo accepted ${accepted}`);
}

describe('checkReturnTo', () => {
  it('accepts a URL on an allowed origin', () => {
    expect(checkReturnTo('https://app.test/settings/instagram?tab=ig', ALLOWED)).toBe(
      'https://app.test/settings/instagram?tab=ig',
    );
    expect(checkReturnTo('http://localhost:5173/done', ALLOWED)).toBe('http://localhost:5173/done');
  });

  it.each([
    ['another origin', 'https://evil.test/steal'],
    ['the allowed host on another scheme', 'http://app.test/done'],
    ['the allowed host on another port', 'https://app.test:8443/done'],
    ['a look-alike host', 'https://app.test.evil.com/done'],
    ['userinfo that looks like the allowed host', 'https://app.test@evil.com/done'],
    ['a javascript: URL', 'javascript:alert(document.cookie)'],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>'],
    ['a relative URL', '/done'],
    ['a protocol-relative URL', '//evil.test/done'],
  ])('refuses %s', (_, returnTo) => {
    const error = refusal(returnTo);

    expect(error.code).toBe(ErrorCode.InvalidReturnTo);
    expect(error.status).toBe(400);
  });

  it('refuses every URL when no origin is allowed, and says why', () => {
    const error = refusal('https://app.test/done', []);

    expect(error.code).toBe(ErrorCode.InvalidReturnTo);
    expect(error.detail).toContain('AUTH_RETURN_TO_ORIGINS');
  });
});

describe('withOutcome', () => {
  it('adds the outcome and keeps the query the return URL already had', () => {
    const url = new URL(
      withOutcome('https://app.test/done?tab=ig&lang=en', {
        status: 'connected',
        ig_user_id: '27640875392278831',
      }),
    );

    expect(url.origin + url.pathname).toBe('https://app.test/done');
    expect([...url.searchParams]).toEqual([
      ['tab', 'ig'],
      ['lang', 'en'],
      ['status', 'connected'],
      ['ig_user_id', '27640875392278831'],
    ]);
  });

  it('replaces an outcome parameter the return URL already carried instead of repeating it', () => {
    const outcome = { status: 'error', error: 'access_denied' };

    const url = new URL(withOutcome('https://app.test/done?status=connected', outcome));

    expect(url.searchParams.getAll('status')).toEqual(['error']);
    expect(url.searchParams.get('error')).toBe('access_denied');
  });

  it('drops pre-set outcome parameters the real outcome does not name', () => {
    const url = new URL(
      withOutcome('https://app.test/done?status=connected&ig_user_id=1&error=x&tab=2', {
        status: 'error',
        error: 'access_denied',
      }),
    );

    expect([...url.searchParams]).toEqual([
      ['tab', '2'],
      ['status', 'error'],
      ['error', 'access_denied'],
    ]);
  });

  it('drops pre-set outcome parameters written percent-encoded or repeated', () => {
    const url = new URL(
      withOutcome('https://app.test/done?st%61tus=connected&ig%5Fuser%5Fid=1&ig_user_id=2', {
        status: 'error',
        error: 'access_denied',
      }),
    );

    expect(url.searchParams.getAll('status')).toEqual(['error']);
    expect(url.searchParams.has('ig_user_id')).toBe(false);
  });
});
