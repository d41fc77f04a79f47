import { graphError } from './emulator.responses.js';
import type { EmulatorStore, TokenRecord } from './emulator.store.js';
import type { EmulatorResponse } from './emulator.types.js';

export type AccessTokenCheck =
  { ok: true; record: TokenRecord } | { ok: false; response: EmulatorResponse };

/** How graph.instagram.com judges the access token a request carries. */
export function checkAccessToken(
  store: EmulatorStore,
  accessToken: string | undefined,
): AccessTokenCheck {
  const record = accessToken ? store.findToken(accessToken) : undefined;
  if (!record) {
    const message = 'Invalid OAuth access token - Cannot parse access token';
    return fail(graphError(message, { code: 190 }));
  }
  if (record.revoked) {
    const message =
      'Error validating access token: The user has not authorized application ' +
      `${record.appId}.`;
    return fail(graphError(message, { code: 190, subcode: 458 }));
  }
  const now = store.now();
  if (now >= record.expiresAt) {
    const expiredOn = new Date(record.expiresAt).toUTCString();
    const message =
      `Error validating access token: Session has expired on ${expiredOn}. ` +
      `The current time is ${new Date(now).toUTCString()}.`;
    return fail(graphError(message, { code: 190, subcode: 463 }));
  }
  return { ok: true, record };
}

function fail(response: EmulatorResponse): AccessTokenCheck {
  return { ok: false, response };
}
