import { CREDENTIAL_PARAMS } from './graph-params.js';
import { isObject } from './instagram-json.js';
import type { GraphAnswer, GraphLink } from './instagram.wire.js';
import { jsonStrings } from './json-strings.js';

/**
 * Splits a Graph answer at every string that is a URL on Instagram's Graph (`graphUrl`'s
 * origin), such as paging.next and paging.previous, whose query carries the token. Everything
 * else is kept byte for byte: numbers keep their digits, escapes stay as Instagram wrote them.
 * An answer that still holds the token (raw or percent-encoded, in a value, a key or a link's
 * other parameters), or a member named like a credential, is refused whole.
 */
export function cutAtGraphLinks(
  text: string,
  graphUrl: URL,
  accessToken: string,
): GraphAnswer | 'not_an_object' | 'holds_token' {
  let parsed: unknown;
  try {
    // Only to know it is a JSON object: the text itself is what goes on, never a re-encoding.
    parsed = JSON.parse(text);
  } catch {
    return 'not_an_object';
  }
  if (!isObject(parsed)) {
    return 'not_an_object';
  }
  const carries = (value: string) =>
    value.includes(accessToken) || value.includes(encodeURIComponent(accessToken));
  const parts: GraphAnswer['parts'] = [];
  let copiedTo = 0;
  for (const string of jsonStrings(text)) {
    const link = string.isKey ? undefined : graphLink(string.value, graphUrl);
    if (link !== undefined) {
      if (
        carries(link.path) ||
        link.query.some(([name, value]) => carries(name) || carries(value))
      ) {
        return 'holds_token';
      }
      parts.push(text.slice(copiedTo, string.start), link);
      copiedTo = string.end;
    } else if (
      carries(string.value) ||
      (string.isKey && CREDENTIAL_PARAMS.has(string.value.toLowerCase()))
    ) {
      return 'holds_token';
    }
  }
  parts.push(text.slice(copiedTo));
  return { parts };
}

/** A URL on Instagram's Graph as its path below the version and its query without credentials. */
function graphLink(value: string, graphUrl: URL): GraphLink | undefined {
  if (!/^https?:\/\//i.test(value)) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.origin !== graphUrl.origin) {
    return undefined;
  }
  const prefix = graphUrl.pathname.replace(/\/+$/, '');
  const below = url.pathname.startsWith(`${prefix}/`)
    ? url.pathname.slice(prefix.length)
    : url.pathname;
  return {
    path: below.replace(/^\/v\d+\.\d+(?=\/|$)/, '').replace(/^\/+/, ''),
    query: [...url.searchParams].filter(([name]) => !CREDENTIAL_PARAMS.has(name.toLowerCase())),
  };
}
