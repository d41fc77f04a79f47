/** Longest cursor accepted back; Instagram's own cursors are a few hundred characters. */
export const MAX_MEDIA_CURSOR_LENGTH = 1024;

/**
 * The vault's cursor of the next media page: Instagram's `after` cursor and the account it
 * belongs to, base64url-encoded. Never Instagram's paging URL, which carries the token.
 */
export function encodeMediaCursor(igUserId: string, after: string): string {
  return Buffer.from(JSON.stringify([igUserId, after]), 'utf8').toString('base64url');
}

/** Instagram's cursor inside one of ours, or undefined when it is not ours or not this account's. */
export function decodeMediaCursor(igUserId: string, cursor: string): string | undefined {
  if (cursor.length > MAX_MEDIA_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    return undefined;
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2 || decoded[0] !== igUserId) {
    return undefined;
  }
  const after: unknown = decoded[1];
  return typeof after === 'string' && /^[\x21-\x7e]{1,512}$/.test(after) ? after : undefined;
}
