import { checkAccessToken } from './access-token.check.js';
import { pagingCursor, readPagingCursor } from './emulator.ids.js';
import { JsonInteger, type JsonValue } from './emulator.json.js';
import { graphError, jsonResponse } from './emulator.responses.js';
import type { EmulatorStore, TokenRecord } from './emulator.store.js';
import type { EmulatorAccount, EmulatorMedia, EmulatorResponse } from './emulator.types.js';
import { askedFields } from './me.handler.js';

/** What a graph read knows besides its query: where links point and the token it carries. */
export interface GraphCall {
  store: EmulatorStore;
  query: URLSearchParams;
  accessToken: string | undefined;
  /** The emulator's own origin, for paging links. */
  baseUrl: string;
  /** The version the request named, or the one Instagram puts in its links anyway. */
  version: string;
}

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;
const DAY_SECONDS = 24 * 60 * 60;

type MediaField = (media: EmulatorMedia, owner: EmulatorAccount) => JsonValue | undefined;

const MEDIA_FIELDS: Record<string, MediaField> = {
  id: (media) => (media.idAsNumber ? new JsonInteger(media.id) : media.id),
  caption: (media) => media.caption,
  media_type: (media) => media.mediaType,
  media_product_type: (media) => media.mediaProductType,
  media_url: (media) => media.mediaUrl,
  thumbnail_url: (media) => media.thumbnailUrl,
  permalink: (media) => media.permalink,
  timestamp: (media) => instagramTimestamp(media.timestamp),
  username: (_media, owner) => owner.username,
  like_count: (media) => media.likeCount,
  comments_count: (media) => media.commentsCount,
};

/** A carousel's items answer only these. */
const CHILD_FIELDS = new Set([
  'id',
  'media_type',
  'media_url',
  'thumbnail_url',
  'permalink',
  'timestamp',
  'username',
]);

const ACCOUNT_METRICS: Record<string, string> = {
  reach: 'Reach',
  impressions: 'Impressions',
  profile_views: 'Profile views',
  follower_count: 'Follower count',
};

const MEDIA_METRICS: Record<string, string> = {
  reach: 'Reach',
  likes: 'Likes',
  comments: 'Comments',
  saved: 'Saved',
  shares: 'Shares',
};

/** GET /me/media or /{ig-user-id}/media: the account's posts a page at a time, after or before a cursor. */
export function listMedia(call: GraphCall, nodeId: string): EmulatorResponse {
  const reader = authorize(call);
  if ('response' in reader) {
    return reader.response;
  }
  const { account } = reader;
  if (nodeId !== 'me' && call.store.findAccountByAnyId(nodeId)?.userId !== account.userId) {
    return noSuchObject(nodeId);
  }
  const fields = askedFields(call.query);
  const unknown = fields.find((field) => !Object.hasOwn(MEDIA_FIELDS, field));
  if (unknown !== undefined) {
    return nonexistingField(unknown, 'IGMedia');
  }
  const limit = readLimit(call.query);
  const posts = call.store.postsOf(account.userId);
  const start = pageStart(
    call.query,
    posts.map((media) => media.id),
    limit,
  );
  if (start === undefined) {
    return graphError('(#100) The cursor is not valid.', { code: 100 });
  }
  const page = posts.slice(start, start + limit);
  const data = page.map((media) => pick(media, account, fields));
  const link = (cursor: Record<string, string>) =>
    graphLink(call, `${account.professionalId}/media`, {
      fields: fields.join(','),
      limit: String(limit),
      ...cursor,
    });
  const paging: Record<string, JsonValue> = {};
  if (page.length > 0) {
    const before = pagingCursor(page[0].id);
    const after = pagingCursor(page[page.length - 1].id);
    paging.cursors = { before, after };
    if (start > 0) {
      paging.previous = link({ before });
    }
    if (start + limit < posts.length) {
      paging.next = link({ after });
    }
  }
  return graphJson(page.length > 0 ? { data, paging } : { data });
}

/** GET /{media-id}: one media object (a carousel's item too) of the token's account. */
export function readMediaObject(call: GraphCall, mediaId: string): EmulatorResponse {
  const owned = authorizeOwnMedia(call, mediaId);
  if ('response' in owned) {
    return owned.response;
  }
  const { media, account } = owned;
  const fields = askedFields(call.query);
  const known = (field: string) =>
    media.parentId === undefined ? Object.hasOwn(MEDIA_FIELDS, field) : CHILD_FIELDS.has(field);
  const unknown = fields.find((field) => !known(field));
  if (unknown !== undefined) {
    return nonexistingField(unknown, media.parentId === undefined ? 'IGMedia' : 'IGMediaChild');
  }
  return graphJson(pick(media, account, fields));
}

/** GET /{media-id}/children: a carousel's items (none for other media). */
export function listChildren(call: GraphCall, mediaId: string): EmulatorResponse {
  const owned = authorizeOwnMedia(call, mediaId);
  if ('response' in owned) {
    return owned.response;
  }
  const { media, account } = owned;
  const fields = askedFields(call.query);
  const unknown = fields.find((field) => !CHILD_FIELDS.has(field));
  if (unknown !== undefined) {
    return nonexistingField(unknown, 'IGMediaChild');
  }
  const children = (media.childIds ?? []).map((id) => call.store.findMedia(id) as EmulatorMedia);
  const data = children.map((child) => pick(child, account, fields));
  if (children.length === 0) {
    return graphJson({ data });
  }
  const cursors = {
    before: pagingCursor(children[0].id),
    after: pagingCursor(children[children.length - 1].id),
  };
  return graphJson({ data, paging: { cursors } });
}

/**
 * GET /me/insights (by day, paged with since/until links that carry the token, as Instagram's
 * do) or /{media-id}/insights (lifetime totals).
 */
export function readInsights(call: GraphCall, nodeId: string): EmulatorResponse {
  const reader = authorize(call);
  if ('response' in reader) {
    return reader.response;
  }
  const { account } = reader;
  const media = nodeId === 'me' ? undefined : call.store.findMedia(nodeId);
  const ofAccount =
    nodeId === 'me' || call.store.findAccountByAnyId(nodeId)?.userId === account.userId;
  if (!ofAccount && (media === undefined || media.ownerUserId !== account.userId)) {
    return noSuchObject(nodeId);
  }
  const metrics = (call.query.get('metric') ?? '').split(',').filter(Boolean);
  if (metrics.length === 0) {
    return graphError('(#100) The parameter metric is required', { code: 100 });
  }
  const known = ofAccount ? ACCOUNT_METRICS : MEDIA_METRICS;
  const unknown = metrics.find((metric) => !Object.hasOwn(known, metric));
  if (unknown !== undefined) {
    return graphError(
      `(#100) metric[0] must be one of the following values: ${Object.keys(known).join(', ')}`,
      {
        code: 100,
      },
    );
  }
  const ownerId = ofAccount ? account.professionalId : nodeId;
  if (!ofAccount) {
    const data = metrics.map((metric, index) => ({
      name: metric,
      period: 'lifetime',
      values: [{ value: 10 + index }],
      title: known[metric],
      description: `${known[metric]} of the media`,
      id: `${ownerId}/insights/${metric}/lifetime`,
    }));
    return graphJson({ data });
  }
  if ((call.query.get('period') ?? 'day') !== 'day') {
    return graphError('(#100) period must be one of the following values: day', { code: 100 });
  }
  const until =
    readSeconds(call.query.get('until')) ??
    Math.floor(call.store.now() / 1000 / DAY_SECONDS) * DAY_SECONDS;
  const since = readSeconds(call.query.get('since')) ?? until - 2 * DAY_SECONDS;
  if (since >= until) {
    return graphError('(#100) since must be before until', { code: 100 });
  }
  const days: number[] = [];
  for (let day = since; day < until && days.length < 30; day += DAY_SECONDS) {
    days.push(day + DAY_SECONDS);
  }
  const data = metrics.map((metric) => ({
    name: metric,
    period: 'day',
    values: days.map((end) => ({
      value: (end / DAY_SECONDS) % 97,
      end_time: instagramTimestamp(end * 1000),
    })),
    title: known[metric],
    description: `Daily ${known[metric].toLowerCase()}`,
    id: `${ownerId}/insights/${metric}/day`,
  }));
  const span = until - since;
  const window = (from: number) =>
    graphLink(call, `${ownerId}/insights`, {
      metric: metrics.join(','),
      period: 'day',
      since: String(from),
      until: String(from + span),
    });
  return graphJson({ data, paging: { previous: window(since - span), next: window(until) } });
}

function authorize(
  call: GraphCall,
): { record: TokenRecord; account: EmulatorAccount } | { response: EmulatorResponse } {
  const check = checkAccessToken(call.store, call.accessToken);
  if (!check.ok) {
    return { response: check.response };
  }
  const account = call.store.findAccount(check.record.userId);
  if (!account) {
    throw new Error('a token points at no account');
  }
  return { record: check.record, account };
}

/** The token's account and one media object of its own; Instagram answers any other id as unknown. */
function authorizeOwnMedia(
  call: GraphCall,
  mediaId: string,
): { media: EmulatorMedia; account: EmulatorAccount } | { response: EmulatorResponse } {
  const reader = authorize(call);
  if ('response' in reader) {
    return reader;
  }
  const media = call.store.findMedia(mediaId);
  if (media === undefined || media.ownerUserId !== reader.account.userId) {
    return { response: noSuchObject(mediaId) };
  }
  return { media, account: reader.account };
}

function pick(
  media: EmulatorMedia,
  owner: EmulatorAccount,
  fields: string[],
): Record<string, JsonValue | undefined> {
  return Object.fromEntries(fields.map((field) => [field, MEDIA_FIELDS[field](media, owner)]));
}

/** Where a page starts: after the `after` cursor, or `limit` before the `before` one. */
function pageStart(query: URLSearchParams, ids: string[], limit: number): number | undefined {
  const after = query.get('after');
  const before = query.get('before');
  if (after !== null) {
    const index = ids.indexOf(readPagingCursor(after) ?? '');
    return index < 0 ? undefined : index + 1;
  }
  if (before !== null) {
    const index = ids.indexOf(readPagingCursor(before) ?? '');
    return index < 0 ? undefined : Math.max(0, index - limit);
  }
  return 0;
}

function readLimit(query: URLSearchParams): number {
  const limit = Number(query.get('limit') ?? DEFAULT_LIMIT);
  return Number.isInteger(limit) && limit > 0 ? Math.min(limit, MAX_LIMIT) : DEFAULT_LIMIT;
}

function readSeconds(value: string | null): number | undefined {
  return value !== null && /^\d{1,12}$/.test(value) ? Number(value) : undefined;
}

/** A paging link as Instagram writes one: versioned, the account by id, the token first. */
function graphLink(call: GraphCall, path: string, query: Record<string, string>): string {
  const params = new URLSearchParams({ access_token: call.accessToken ?? '', ...query });
  return `${call.baseUrl}/${call.version}/${path}?${params.toString()}`;
}

/** Instagram writes `2026-11-20T10:00:00+0000`: no milliseconds, no colon in the offset. */
function instagramTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

/** JSON as the Graph writes it: slashes escaped (`https:\/\/...`). */
function graphJson(value: JsonValue): EmulatorResponse {
  const response = jsonResponse(200, value);
  return { ...response, body: response.body.replaceAll('/', '\\/') };
}

export function noSuchObject(id: string): EmulatorResponse {
  return graphError(
    `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    { code: 100, subcode: 33 },
  );
}

function nonexistingField(field: string, nodeType: string): EmulatorResponse {
  return graphError(
    `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`,
    {
      code: 100,
    },
  );
}
