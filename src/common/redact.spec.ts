import { keepQueryParams, REDACTED, redactUrl } from './redact.js';

describe('redactUrl', () => {
  it.each(['access_token', 'client_secret', 'code', 'state', 'signed_request'])(
    'hides the value of %s',
    (name) => {
      const redacted = redactUrl(`https://graph.test/path?${name}=s3cr3t-value&fields=username`);

      expect(redacted).toBe(`https://graph.test/path?${name}=${REDACTED}&fields=username`);
      expect(redacted).not.toContain('s3cr3t-value');
    },
  );

  it('hides every secret in a URL while keeping the path and the other parameters', () => {
    const path = 'https://graph.instagram.com/v23.0/access_token';

    const redacted = redactUrl(
      `${path}?grant_type=ig_exchange_token&client_secret=app-s3cret&access_token=IGQVshort&x=1`,
    );

    expect(redacted).toBe(
      `${path}?grant_type=ig_exchange_token&client_secret=${REDACTED}&access_token=${REDACTED}&x=1`,
    );
  });

  it.each(['access%5Ftoken', 'access_t%6Fken', '%63ode', 'client_s%65cret'])(
    'hides a parameter whose name is URL-encoded as %s',
    (name) => {
      const redacted = redactUrl(`https://graph.test/me?${name}=IGQVsecret&fields=id`);

      expect(redacted).toBe(`https://graph.test/me?${name}=${REDACTED}&fields=id`);
    },
  );

  it('keeps a redirect_uri and its encoding as they were', () => {
    const url =
      'https://www.instagram.com/oauth/authorize?client_id=1' +
      '&redirect_uri=https%3A%2F%2Fvault.test%2Fcb' +
      '&response_type=code&scope=instagram_business_basic';

    expect(redactUrl(url)).toBe(url);
  });

  it('returns a URL without a query unchanged', () => {
    expect(redactUrl('/auth/instagram/callback')).toBe('/auth/instagram/callback');
    expect(redactUrl('https://vault.test/docs#section')).toBe('https://vault.test/docs#section');
  });

  it('hides query values even when a fragment follows them', () => {
    const redacted = redactUrl('https://vault.test/cb?code=AQDcode&state=st4te&tab=1#_');

    expect(redacted).not.toContain('AQDcode');
    expect(redacted).not.toContain('st4te');
    expect(redacted).toMatch(
      /^https:\/\/vault\.test\/cb\?code=\[REDACTED\]&state=\[REDACTED\]&tab=1(#_)?$/,
    );
  });

  it('keeps a parameter that has no value', () => {
    expect(redactUrl('https://vault.test/x?debug&code=abc')).toBe(
      `https://vault.test/x?debug&code=${REDACTED}`,
    );
  });
});

describe('keepQueryParams', () => {
  const allowed = new Set(['status', 'limit']);

  it('keeps the path and the values of allow-listed parameters only', () => {
    expect(keepQueryParams('/tokens?status=active&api_key=s3cret&limit=5', allowed)).toBe(
      `/tokens?status=active&api_key=${REDACTED}&limit=5`,
    );
  });

  it.each(['api_key', 'apiKey', 'key', 'token', 'x', 'Status', 'st%61tus2'])(
    'replaces the value of %s, a name not on the list',
    (name) => {
      const logged = keepQueryParams(`/tokens/1?${name}=s3cret-value`, allowed);

      expect(logged).not.toContain('s3cret-value');
      expect(logged).toContain(`=${REDACTED}`);
    },
  );

  it('does not echo a bare word or a name that does not look like one', () => {
    const logged = keepQueryParams(
      `/tokens?sk_live_0123456789abcdef&${'n'.repeat(40)}=v&a%20b=v&status=ok`,
      allowed,
    );

    expect(logged).toBe(
      `/tokens?${REDACTED}&${REDACTED}=${REDACTED}&${REDACTED}=${REDACTED}&status=ok`,
    );
  });

  it('leaves a URL without a query alone', () => {
    expect(keepQueryParams('/tokens/17841400000000001', allowed)).toBe('/tokens/17841400000000001');
  });
});
