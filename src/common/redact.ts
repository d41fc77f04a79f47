const SECRET_PARAM = /(token|secret|code|state|signed_request|password)/i;
export const REDACTED = '[REDACTED]';

/**
 * A URL safe to log: values of query (and fragment) parameters that may carry secrets are
 * replaced; everything else is kept.
 */
export function redactUrl(url: string): string {
  const hashStart = url.indexOf('#');
  const beforeHash = hashStart < 0 ? url : url.slice(0, hashStart);
  const fragment = hashStart < 0 ? undefined : url.slice(hashStart + 1);
  const queryStart = beforeHash.indexOf('?');
  const base = queryStart < 0 ? beforeHash : beforeHash.slice(0, queryStart);
  const query = queryStart < 0 ? undefined : redactParams(beforeHash.slice(queryStart + 1));
  return (
    base +
    (query === undefined ? '' : `?${query}`) +
    (fragment === undefined ? '' : `#${redactParams(fragment)}`)
  );
}

function redactParams(params: string): string {
  return params
    .split('&')
    .map((pair) => {
      const separator = pair.indexOf('=');
      const name = separator < 0 ? pair : pair.slice(0, separator);
      return separator >= 0 && SECRET_PARAM.test(decodeSafely(name)) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
}

/** A parameter name as callers write them; anything else may be a secret and is not echoed. */
const PLAIN_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * A request URL safe to log whatever a caller put in its query: the path, and the values of
 * allow-listed parameters only. Every other value is replaced; so is a name that does not look
 * like one, and a bare word without `=` (either may be the secret itself).
 */
export function keepQueryParams(url: string, allowed: ReadonlySet<string>): string {
  const queryStart = url.indexOf('?');
  if (queryStart < 0) {
    return url;
  }
  const query = url
    .slice(queryStart + 1)
    .split('&')
    .map((pair) => {
      const separator = pair.indexOf('=');
      const name = decodeSafely(separator < 0 ? pair : pair.slice(0, separator));
      if (separator >= 0 && allowed.has(name)) {
        return pair;
      }
      if (separator < 0) {
        return REDACTED;
      }
      return `${PLAIN_NAME.test(name) ? name : REDACTED}=${REDACTED}`;
    })
    .join('&');
  return `${url.slice(0, queryStart)}?${query}`;
}

function decodeSafely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
