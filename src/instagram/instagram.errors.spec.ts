import { mapError } from '../common/error-mapping.js';
import { InstagramError, InstagramFailure } from './instagram.errors.js';

describe('an InstagramError reaching the exception filter', () => {
  it.each([
    [InstagramFailure.Rejected, 'instagram_rejected', 400],
    [InstagramFailure.TokenInvalid, 'instagram_token_invalid', 409],
    [InstagramFailure.PermissionMissing, 'instagram_permission_missing', 403],
    [InstagramFailure.RateLimited, 'instagram_rate_limited', 429],
    [InstagramFailure.Unavailable, 'instagram_unavailable', 503],
    [InstagramFailure.Timeout, 'instagram_timeout', 504],
    [InstagramFailure.BadResponse, 'instagram_bad_response', 502],
  ])(
    'maps Instagram failure %s to %s with status %i, whatever status Instagram used',
    (failure, code, status) => {
      const error = new InstagramError(failure, { message: 'something', httpStatus: 500 });

      const mapped = mapError(error);

      expect(mapped.problem.code).toBe(code);
      expect(mapped.problem.status).toBe(status);
      expect(mapped.problem.status).not.toBe(500);
      expect(mapped.unexpected).toBe(false);
    },
  );

  it('tells the caller when to retry after Instagram rate limits', () => {
    const mapped = mapError(
      new InstagramError(InstagramFailure.RateLimited, {
        message: 'Application request limit reached',
        code: 4,
        retryAfterSeconds: 300,
      }),
    );

    expect(mapped.problem.status).toBe(429);
    expect(mapped.headers['retry-after']).toBe('300');
  });

  it("carries Instagram's message and code into the problem", () => {
    const mapped = mapError(
      new InstagramError(InstagramFailure.Rejected, {
        message: 'Invalid authorization code',
        code: 400,
        httpStatus: 400,
      }),
    );

    expect(mapped.problem.detail).toContain('Invalid authorization code');
    expect(mapped.problem.instagramCode).toBe(400);
  });
});
