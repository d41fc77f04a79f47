import { mapErrorResponse, mapTransportError } from './instagram-error.mapper.js';
import { InstagramFailure } from './instagram.errors.js';

function graphError(error: Record<string, unknown>): string {
  return JSON.stringify({ error: { type: 'OAuthException', fbtrace_id: 'A1b2', ...error } });
}

const USAGE_HEADER = JSON.stringify({
  '17841400000000001': [
    {
      type: 'instagram',
      call_count: 100,
      total_cputime: 20,
      total_time: 20,
      estimated_time_to_regain_access: 5,
    },
  ],
});

describe('mapErrorResponse', () => {
  it("reads api.instagram.com's own error shape as a rejection with its message", () => {
    const error = mapErrorResponse(
      400,
      '{"error_type":"OAuthException","code":400,"error_message":"Invalid authorization code"}',
    );

    expect(error.failure).toBe(InstagramFailure.Rejected);
    expect(error.details.message).toBe('Invalid authorization code');
    expect(error.details.httpStatus).toBe(400);
  });

  it('reads code 190 subcode 463 as an expired token', () => {
    const error = mapErrorResponse(
      400,
      graphError({
        message: 'Error validating access token: Session has expired on Friday.',
        code: 190,
        error_subcode: 463,
      }),
    );

    expect(error.failure).toBe(InstagramFailure.TokenInvalid);
    expect(error.tokenExpired).toBe(true);
    expect(error.details).toMatchObject({ code: 190, subcode: 463 });
    expect(error.details.message).toBe(
      'Error validating access token: Session has expired on Friday.',
    );
  });

  it('reads code 190 subcode 458 (app removed) as an invalid token, not an expired one', () => {
    const error = mapErrorResponse(
      400,
      graphError({
        message: 'The user has not authorized application',
        code: 190,
        error_subcode: 458,
      }),
    );

    expect(error.failure).toBe(InstagramFailure.TokenInvalid);
    expect(error.tokenExpired).toBe(false);
  });

  it('reads code 102 as an invalid token', () => {
    const error = mapErrorResponse(400, graphError({ message: 'Session key invalid', code: 102 }));

    expect(error.failure).toBe(InstagramFailure.TokenInvalid);
    expect(error.tokenExpired).toBe(false);
  });

  it.each([4, 17, 32, 613, 80002])(
    'reads code %i as rate limiting, waiting as long as the usage header says',
    (code) => {
      const error = mapErrorResponse(
        400,
        graphError({ message: 'Application request limit reached', code }),
        { 'x-business-use-case-usage': USAGE_HEADER },
      );

      expect(error.failure).toBe(InstagramFailure.RateLimited);
      expect(error.details.retryAfterSeconds).toBe(5 * 60);
    },
  );

  it('waits 60 seconds on rate limiting when no usage header says how long', () => {
    const error = mapErrorResponse(400, graphError({ message: 'Calls limit reached', code: 4 }));

    expect(error.failure).toBe(InstagramFailure.RateLimited);
    expect(error.details.retryAfterSeconds).toBe(60);
  });

  it.each([10, 200])('reads code %i as a missing permission', (code) => {
    const error = mapErrorResponse(
      403,
      graphError({ message: 'Application does not have permission for this action', code }),
    );

    expect(error.failure).toBe(InstagramFailure.PermissionMissing);
    expect(error.details.code).toBe(code);
  });

  it.each([1, 2])('reads code %i as Instagram being unavailable', (code) => {
    const error = mapErrorResponse(500, graphError({ message: 'An unknown error occurred', code }));

    expect(error.failure).toBe(InstagramFailure.Unavailable);
  });

  it('reads an error flagged is_transient as Instagram being unavailable', () => {
    const error = mapErrorResponse(
      400,
      graphError({ message: 'Temporary problem', code: 100, is_transient: true }),
    );

    expect(error.failure).toBe(InstagramFailure.Unavailable);
  });

  it('reads code 100 as a rejection of our request', () => {
    const error = mapErrorResponse(
      400,
      graphError({ message: 'Tried accessing nonexisting field (bogus)', code: 100 }),
    );

    expect(error.failure).toBe(InstagramFailure.Rejected);
    expect(error.details.message).toBe('Tried accessing nonexisting field (bogus)');
  });

  it('reads an HTML 503 page as Instagram being unavailable', () => {
    const error = mapErrorResponse(503, '<html><body>Service Unavailable</body></html>');

    expect(error.failure).toBe(InstagramFailure.Unavailable);
    expect(error.details.httpStatus).toBe(503);
  });

  it('reads a bare 429 as rate limiting with the default wait', () => {
    const error = mapErrorResponse(429, '');

    expect(error.failure).toBe(InstagramFailure.RateLimited);
    expect(error.details.retryAfterSeconds).toBe(60);
  });

  it('reads an HTML 404 page as a response it cannot use', () => {
    const error = mapErrorResponse(404, '<!DOCTYPE html><html><body>Not Found</body></html>');

    expect(error.failure).toBe(InstagramFailure.BadResponse);
  });

  it('scrubs a token-like run from the message Instagram sent', () => {
    const tokenLike = 'IGAA' + 'x7Kq2'.repeat(11) + 'Zz';
    expect(tokenLike).toHaveLength(61);

    const error = mapErrorResponse(
      400,
      graphError({ message: `Cannot parse access token ${tokenLike} (Invalid OAuth)`, code: 190 }),
    );

    expect(error.details.message).not.toContain(tokenLike);
    expect(error.message).not.toContain(tokenLike);
    expect(error.details.message).toMatch(/^Cannot parse access token .+ \(Invalid OAuth\)$/);
  });
});

describe('mapTransportError', () => {
  it('reads a call cut off by its deadline as a timeout', () => {
    const aborted = new DOMException('The operation was aborted due to timeout', 'TimeoutError');

    const error = mapTransportError(aborted, 5000, true);

    expect(error.failure).toBe(InstagramFailure.Timeout);
    expect(error.details.message).toContain('5000');
  });

  it.each(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])(
    "reads undici's %s as a timeout",
    (code) => {
      const error = mapTransportError({ code, message: 'timeout' }, 5000, false);

      expect(error.failure).toBe(InstagramFailure.Timeout);
    },
  );

  it('reads a refused connection as Instagram being unavailable', () => {
    const error = mapTransportError({ code: 'ECONNREFUSED' }, 5000, false);

    expect(error.failure).toBe(InstagramFailure.Unavailable);
    expect(error.details.message).toContain('ECONNREFUSED');
  });

  it('reads a closed socket as Instagram being unavailable', () => {
    const error = mapTransportError(
      { code: 'UND_ERR_SOCKET', message: 'other side closed' },
      5000,
      false,
    );

    expect(error.failure).toBe(InstagramFailure.Unavailable);
  });
});
