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

function decodeSafely(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
