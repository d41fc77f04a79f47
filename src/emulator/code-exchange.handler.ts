import { JsonInteger } from './emulator.json.js';
import { apiError, jsonResponse } from './emulator.responses.js';
import type { EmulatorStore } from './emulator.store.js';
import type { EmulatorResponse, ExchangeResponseShape } from './emulator.types.js';

const REDIRECT_MISMATCH =
  'Error validating verification code. Please make sure your redirect_uri is identical to the ' +
  'one you used in the OAuth dialog request';

/** POST /oauth/access_token: a code for a short-lived token. */
export function exchangeCode(
  store: EmulatorStore,
  form: URLSearchParams,
  shape: ExchangeResponseShape,
): EmulatorResponse {
  const app = store.findApp(form.get('client_id') ?? '');
  if (!app) {
    return apiError('Invalid platform app');
  }
  if (form.get('client_secret') !== app.appSecret) {
    return apiError('Error validating client secret.');
  }
  if (form.get('grant_type') !== 'authorization_code') {
    return apiError('Unsupported grant type');
  }
  const grant = store.findCode(form.get('code') ?? '');
  if (!grant || grant.appId !== app.appId) {
    return apiError('Matching code was not found or was already used');
  }
  if (grant.used) {
    return apiError('This authorization code has been used');
  }
  if (store.now() >= grant.expiresAt) {
    return apiError('This authorization code has expired');
  }
  if (form.get('redirect_uri') !== grant.redirectUri) {
    return apiError(REDIRECT_MISMATCH);
  }
  grant.used = true;
  const { accessToken } = store.issueToken('short_lived', grant);
  const userId = new JsonInteger(grant.userId);
  switch (shape) {
    case 'flat':
      return jsonResponse(200, { access_token: accessToken, user_id: userId });
    case 'data':
      return jsonResponse(200, {
        data: [
          { access_token: accessToken, user_id: grant.userId, permissions: grant.scopes.join(',') },
        ],
      });
    case 'flat_permissions_array':
      return jsonResponse(200, {
        access_token: accessToken,
        user_id: userId,
        permissions: grant.scopes,
      });
  }
}
