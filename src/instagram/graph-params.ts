/**
 * Query parameters that carry credentials to Instagram's Graph. The vault adds the stored token
 * itself; a caller's are refused, and links in Instagram's answers lose them.
 */
export const CREDENTIAL_PARAMS: ReadonlySet<string> = new Set([
  'access_token',
  'appsecret_proof',
  'appsecret_time',
]);

/**
 * Query parameters that change what kind of request a GET is, or what shape its answer takes:
 * `method=post` (or `delete`) turns a Graph GET into a write, `suppress_http_code` answers
 * errors (a 190 too) with 200, `callback` wraps the JSON in script. A read proxy forwards none.
 */
export const REQUEST_SHAPING_PARAMS: ReadonlySet<string> = new Set([
  'method',
  'suppress_http_code',
  'callback',
  'transport',
]);
