import { renderConsentPage } from './consent.page.js';
import { apiError, htmlResponse, redirectResponse } from './emulator.responses.js';
import type { EmulatorStore } from './emulator.store.js';
import type { EmulatorApp, EmulatorResponse } from './emulator.types.js';

export const VALID_SCOPES: ReadonlySet<string> = new Set([
  'instagram_business_basic',
  'instagram_business_content_publish',
  'instagram_business_manage_messages',
  'instagram_business_manage_comments',
  'instagram_business_manage_insights',
  'user_profile',
  'user_media',
]);

const USERNAME_PATTERN = /^[A-Za-z0-9._]{1,30}$/;

export interface AuthorizeRequest {
  app: EmulatorApp;
  redirectUri: string;
  scope: string;
  scopes: string[];
  state?: string;
}

export type AuthorizeCheck =
  { ok: true; request: AuthorizeRequest } | { ok: false; message: string };

/** The checks Instagram makes before showing its window; failures never reach the redirect_uri. */
export function checkAuthorizeRequest(
  store: EmulatorStore,
  params: URLSearchParams,
): AuthorizeCheck {
  const app = store.findApp(params.get('client_id') ?? '');
  if (!app) {
    return { ok: false, message: 'Invalid platform app' };
  }
  const redirectUri = params.get('redirect_uri') ?? '';
  if (!app.redirectUris.includes(redirectUri)) {
    return { ok: false, message: 'Invalid redirect_uri' };
  }
  const responseType = params.get('response_type') ?? '';
  if (responseType !== 'code') {
    return { ok: false, message: `Invalid response_type: ${responseType}` };
  }
  const scope = params.get('scope') ?? '';
  const scopes = scope
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (scopes.length === 0) {
    return { ok: false, message: 'Missing required parameter: scope' };
  }
  const unknown = scopes.find((item) => !VALID_SCOPES.has(item));
  if (unknown !== undefined) {
    return { ok: false, message: `Invalid scope: ${unknown}` };
  }
  const state = params.get('state') || undefined;
  return { ok: true, request: { app, redirectUri, scope, scopes, state } };
}

export function showConsentPage(store: EmulatorStore, query: URLSearchParams): EmulatorResponse {
  const check = checkAuthorizeRequest(store, query);
  if (!check.ok) {
    return apiError(check.message);
  }
  const { app, redirectUri, scope, scopes, state } = check.request;
  return htmlResponse(
    200,
    renderConsentPage({
      appId: app.appId,
      redirectUri,
      responseType: 'code',
      scope,
      scopes,
      state,
      suggestedUsername: store.suggestUsername(),
      existingUsernames: store.accountUsernames(),
    }),
  );
}

export function submitConsent(store: EmulatorStore, form: URLSearchParams): EmulatorResponse {
  const check = checkAuthorizeRequest(store, form);
  if (!check.ok) {
    return apiError(check.message);
  }
  const { app, redirectUri, scopes, state } = check.request;
  const stateParam = state === undefined ? '' : `&state=${encodeURIComponent(state)}`;
  const decision = form.get('decision');
  if (decision === 'deny') {
    const denied =
      'error=access_denied&error_reason=user_denied' +
      '&error_description=The+user+denied+your+request';
    return redirectResponse(`${withQuery(redirectUri, denied)}${stateParam}`);
  }
  if (decision !== 'allow') {
    return apiError('Invalid decision: expected allow or deny');
  }
  const username = form.get('username')?.trim() || store.suggestUsername();
  if (!USERNAME_PATTERN.test(username)) {
    return apiError('Invalid username: use up to 30 letters, digits, periods and underscores');
  }
  const account = store.findAccountByUsername(username) ?? store.createAccount({ username });
  const code = store.issueCode({ appId: app.appId, redirectUri, scopes, userId: account.userId });
  return redirectResponse(`${withQuery(redirectUri, `code=${code}`)}${stateParam}#_`);
}

function withQuery(uri: string, query: string): string {
  return `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
}
