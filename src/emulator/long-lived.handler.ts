import { checkAccessToken } from './access-token.check.js';
import { graphError, jsonResponse } from './emulator.responses.js';
import type { EmulatorStore, TokenRecord } from './emulator.store.js';
import type { EmulatorResponse } from './emulator.types.js';

export const MIN_REFRESH_AGE_MS = 24 * 60 * 60 * 1000;

/** GET /access_token: a short-lived token for a long-lived one. */
export function exchangeForLongLived(
  store: EmulatorStore,
  query: URLSearchParams,
): EmulatorResponse {
  if (query.get('grant_type') !== 'ig_exchange_token') {
    return graphError('Unsupported grant_type: expected ig_exchange_token', { code: 100 });
  }
  const check = checkAccessToken(store, query.get('access_token') ?? undefined);
  if (!check.ok) {
    return check.response;
  }
  const secret = query.get('client_secret');
  if (!secret) {
    return graphError('Missing client_secret parameter.', { code: 100 });
  }
  if (store.findApp(check.record.appId)?.appSecret !== secret) {
    return graphError('Error validating client secret.', { code: 101 });
  }
  if (check.record.kind !== 'short_lived') {
    return graphError('(#100) Only a short-lived access token can be exchanged', { code: 100 });
  }
  return issueLongLived(store, check.record);
}

/**
 * GET /refresh_access_token. The token it replaces stays valid until its own expiry, as on
 * Instagram, so a refresh that is lost on the way back costs nothing.
 */
export function refreshLongLived(store: EmulatorStore, query: URLSearchParams): EmulatorResponse {
  if (query.get('grant_type') !== 'ig_refresh_token') {
    return graphError('Unsupported grant_type: expected ig_refresh_token', { code: 100 });
  }
  const check = checkAccessToken(store, query.get('access_token') ?? undefined);
  if (!check.ok) {
    return check.response;
  }
  if (check.record.kind !== 'long_lived') {
    return graphError('(#100) Only a long-lived access token can be refreshed', { code: 100 });
  }
  if (store.now() - check.record.issuedAt < MIN_REFRESH_AGE_MS) {
    return graphError(
      '(#100) The access token is too young to refresh: it must be at least 24 hours old',
      { code: 100 },
    );
  }
  return issueLongLived(store, check.record);
}

function issueLongLived(store: EmulatorStore, from: TokenRecord): EmulatorResponse {
  const { accessToken, record } = store.issueToken('long_lived', from);
  return jsonResponse(200, {
    access_token: accessToken,
    token_type: 'bearer',
    expires_in: Math.floor((record.expiresAt - store.now()) / 1000),
  });
}
