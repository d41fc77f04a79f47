import { checkAccessToken } from './access-token.check.js';
import { JsonInteger, type JsonValue } from './emulator.json.js';
import { graphError, jsonResponse } from './emulator.responses.js';
import type { EmulatorStore } from './emulator.store.js';
import type { EmulatorAccount, EmulatorResponse } from './emulator.types.js';

const FIELDS: Record<string, (account: EmulatorAccount) => JsonValue> = {
  id: (account) => account.appScopedId,
  user_id: (account) => new JsonInteger(account.professionalId),
  username: (account) => account.username,
  name: (account) => account.name,
  account_type: (account) => account.accountType,
  profile_picture_url: (account) => account.profilePictureUrl,
  followers_count: (account) => account.followersCount,
  follows_count: (account) => account.followsCount,
  media_count: (account) => account.mediaCount,
};

/** GET [/vNN.0]/me: the fields asked for, flat; `id` defaults when none are. */
export function readMe(
  store: EmulatorStore,
  query: URLSearchParams,
  accessToken: string | undefined,
): EmulatorResponse {
  const check = checkAccessToken(store, accessToken);
  if (!check.ok) {
    return check.response;
  }
  const fields = askedFields(query);
  const unknown = fields.find((field) => !Object.hasOwn(FIELDS, field));
  if (unknown !== undefined) {
    return graphError(`(#100) Tried accessing nonexisting field (${unknown})`, { code: 100 });
  }
  const account = store.findAccount(check.record.userId);
  if (!account) {
    throw new Error('a token points at no account');
  }
  const body: Record<string, JsonValue> = {};
  for (const field of fields) {
    body[field] = FIELDS[field](account);
  }
  return jsonResponse(200, body);
}

/** The `fields` a graph read asks for, once each; `id` when it asks for none. */
export function askedFields(query: URLSearchParams): string[] {
  const requested = (query.get('fields') ?? '')
    .split(',')
    .map((field) => field.trim())
    .filter((field) => field.length > 0);
  return requested.length > 0 ? [...new Set(requested)] : ['id'];
}
