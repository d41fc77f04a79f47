import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { LoopTurns } from '../common/loop-turns.js';
import { keepQueryParams, redactUrl } from '../common/redact.js';
import type { AppConfig, InstagramConfig } from '../config/app-config.js';
import { LOGGED_QUERY_PARAMS } from '../logging/logger.options.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { mapErrorResponse, mapTransportError } from './instagram-error.mapper.js';
import { InstagramHttp, TransportError } from './instagram-http.js';
import { cutAtGraphLinks } from './graph-links.js';
import {
  isObject,
  type JsonObject,
  parseInstagramJson,
  readCount,
  readId,
  readPermissions,
  readString,
  readTimestamp,
} from './instagram-json.js';
import { accountScope, type HoldScope, InstagramThrottle } from './instagram-throttle.js';
import { InstagramError, InstagramFailure } from './instagram.errors.js';
import type {
  GraphAnswer,
  LongLivedToken,
  MediaNode,
  MediaPage,
  ShortLivedToken,
  UserNode,
} from './instagram.wire.js';
import { readUsage } from './throttle-signals.js';

/** What a call does, as metrics and logs name it; a proxied read is named by its path pattern. */
export type InstagramOperation =
  | 'exchange_code'
  | 'exchange_long_lived'
  | 'refresh'
  | 'me'
  | 'media_list'
  | 'media'
  | 'media_children'
  | `graph:${string}`;

/** The fields a carousel's children answer (Instagram refuses the rest on a child). */
const CHILD_FIELDS = new Set([
  'id',
  'media_type',
  'media_url',
  'thumbnail_url',
  'permalink',
  'timestamp',
  'username',
]);

/** A proxied read: path segments already checked against the allow-list, the caller's query. */
export interface GraphRead {
  segments: string[];
  query: [string, string][];
  /** The allow-list pattern the path matched: the metrics label. */
  pattern: string;
}

/** Per call: the connection it is made for (its rate-limit scope) and a shorter deadline. */
export interface CallOptions {
  /** The connection key (igUserId) whose token the call carries. */
  account?: string;
  /** At most INSTAGRAM_TIMEOUT_MS; a caller with less time left passes what it has. */
  timeoutMs?: number;
  /**
   * Work no request waits for (a sweep's refresh): its answer is handled in an event-loop turn
   * of its own, after the requests that came in meanwhile.
   */
  background?: boolean;
}

interface InstagramRequest extends CallOptions {
  operation: InstagramOperation;
  method: 'GET' | 'POST';
  url: URL;
  form?: URLSearchParams;
}

/** Instagram documents 60 days; used only if an answer forgets expires_in. */
const FALLBACK_LONG_LIVED_SECONDS = 60 * 24 * 60 * 60;

/** The only code that knows Instagram's URLs, parameters and answers. */
@Injectable()
export class InstagramClient implements OnApplicationShutdown {
  private readonly logger = new Logger(InstagramClient.name);
  private readonly settings: InstagramConfig;
  private readonly http = new InstagramHttp();
  /** Graph reads go here: the host, then the version when one is set. */
  private readonly graphBase: string;
  private readonly graphHost: URL;
  /** Successful calls are logged only at debug: on the hot path nothing is built for them. */
  private readonly logsSuccess: boolean;
  /** The `fields` of a /me read with INSTAGRAM_USER_FIELDS, joined once. */
  private readonly userFields: string;
  /** Where background calls' answers wait for the event loop, so requests are served first. */
  private readonly turns = new LoopTurns();

  constructor(
    private readonly metrics: MetricsService,
    private readonly throttle: InstagramThrottle,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('instagram', { infer: true });
    const version = this.settings.graphVersion ? `/${this.settings.graphVersion}` : '';
    this.graphBase = `${this.settings.graphUrl}${version}`;
    this.graphHost = new URL(this.settings.graphUrl);
    this.logsSuccess = ['debug', 'trace'].includes(config.get('log', { infer: true }).level);
    this.userFields = userFieldsParam(this.settings.userFields);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }

  /** The authorization window's URL for one flow. */
  authorizeUrl(state: string): string {
    const url = new URL(this.settings.authorizeUrl);
    url.searchParams.set('client_id', this.settings.appId);
    url.searchParams.set('redirect_uri', this.settings.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', this.settings.scopes.join(','));
    url.searchParams.set('state', state);
    return url.toString();
  }

  async exchangeCode(
    code: string,
    redirectUri: string,
    options: CallOptions = {},
  ): Promise<ShortLivedToken> {
    const form = new URLSearchParams({
      client_id: this.settings.appId,
      client_secret: this.settings.appSecret,
      grant_type: 'authorization_code',
      redirect_uri: redirectUri,
      code,
    });
    const body = await this.send({
      ...options,
      operation: 'exchange_code',
      method: 'POST',
      url: new URL(`${this.settings.apiUrl}/oauth/access_token`),
      form,
    });
    // Seen: flat with a numeric user_id, or wrapped in data: [...] with a string one.
    const entry = Array.isArray(body.data) && isObject(body.data[0]) ? body.data[0] : body;
    const accessToken = readString(entry.access_token);
    const userId = readId(entry.user_id);
    if (accessToken === undefined || userId === undefined) {
      throw badResponse('exchange_code', 'no access_token or user_id');
    }
    const expiresIn = readCount(entry.expires_in);
    return {
      accessToken,
      userId,
      permissions: readPermissions(entry.permissions),
      expiresInSeconds: expiresIn !== undefined && expiresIn > 0 ? expiresIn : undefined,
    };
  }

  async exchangeForLongLived(
    shortLivedToken: string,
    options: CallOptions = {},
  ): Promise<LongLivedToken> {
    const body = await this.send({
      ...options,
      operation: 'exchange_long_lived',
      method: 'GET',
      url: withQuery(`${this.settings.graphUrl}/access_token`, {
        grant_type: 'ig_exchange_token',
        client_secret: this.settings.appSecret,
        access_token: shortLivedToken,
      }),
    });
    return readLongLived('exchange_long_lived', body);
  }

  async refreshLongLived(
    longLivedToken: string,
    options: CallOptions = {},
  ): Promise<LongLivedToken> {
    const body = await this.send({
      ...options,
      operation: 'refresh',
      method: 'GET',
      url: withQuery(`${this.settings.graphUrl}/refresh_access_token`, {
        grant_type: 'ig_refresh_token',
        access_token: longLivedToken,
      }),
    });
    return readLongLived('refresh', body);
  }

  async getUserNode(
    accessToken: string,
    options: CallOptions & { fields?: string[] } = {},
  ): Promise<UserNode> {
    const fields = options.fields === undefined ? this.userFields : userFieldsParam(options.fields);
    const body = await this.send({
      ...options,
      operation: 'me',
      method: 'GET',
      url: withQuery(`${this.graphBase}/me`, { fields, access_token: accessToken }),
    });
    // The docs sometimes show a data wrapper; clients read it flat. Accept both.
    const node = isObject(body.data) ? body.data : body;
    return {
      id: readId(node.id),
      userId: readId(node.user_id),
      username: readString(node.username),
      name: readString(node.name),
      accountType: readString(node.account_type),
      profilePictureUrl: readString(node.profile_picture_url),
      followersCount: readCount(node.followers_count),
      followsCount: readCount(node.follows_count),
      mediaCount: readCount(node.media_count),
    };
  }

  /** One page of the account's media (/me/media, newest first) with INSTAGRAM_MEDIA_FIELDS. */
  async listMedia(
    accessToken: string,
    page: { limit: number; after?: string },
    options: CallOptions = {},
  ): Promise<MediaPage> {
    const operation = 'media_list';
    const body = await this.send({
      ...options,
      operation,
      method: 'GET',
      url: withQuery(`${this.graphBase}/me/media`, {
        fields: this.settings.mediaFields.join(','),
        limit: String(page.limit),
        ...(page.after === undefined ? {} : { after: page.after }),
        access_token: accessToken,
      }),
    });
    if (!Array.isArray(body.data)) {
      throw badResponse(operation, 'no data array');
    }
    return {
      items: body.data.map((entry) => readMediaNode(operation, entry)),
      after: nextPageCursor(body.paging),
    };
  }

  /** One media object; `media_type` is always read (a carousel's children depend on it). */
  async getMedia(
    accessToken: string,
    mediaId: string,
    options: CallOptions = {},
  ): Promise<MediaNode> {
    const fields = [...new Set([...this.settings.mediaFields, 'media_type'])];
    const body = await this.send({
      ...options,
      operation: 'media',
      method: 'GET',
      url: withQuery(`${this.graphBase}/${digitsOnly(mediaId)}`, {
        fields: fields.join(','),
        access_token: accessToken,
      }),
    });
    return readMediaNode('media', body);
  }

  /** A carousel's items, with the media fields a child has. */
  async listChildren(
    accessToken: string,
    mediaId: string,
    options: CallOptions = {},
  ): Promise<MediaNode[]> {
    const operation = 'media_children';
    const fields = this.settings.mediaFields.filter((field) => CHILD_FIELDS.has(field));
    const body = await this.send({
      ...options,
      operation,
      method: 'GET',
      url: withQuery(`${this.graphBase}/${digitsOnly(mediaId)}/children`, {
        fields: fields.join(','),
        access_token: accessToken,
      }),
    });
    if (!Array.isArray(body.data)) {
      throw badResponse(operation, 'no data array');
    }
    return body.data.map((entry) => readMediaNode(operation, entry));
  }

  /**
   * A Graph read on a caller's behalf: the checked path, the caller's query, the stored token
   * added last. The answer comes back cut at its links to the Graph (whose URLs carry the token);
   * an answer that still holds the token anywhere else is withheld as a bad response.
   */
  async readGraph(
    accessToken: string,
    read: GraphRead,
    options: CallOptions = {},
  ): Promise<GraphAnswer> {
    const url = new URL(`${this.graphBase}/${read.segments.map(encodeURIComponent).join('/')}`);
    for (const [name, value] of read.query) {
      url.searchParams.append(name, value);
    }
    url.searchParams.set('access_token', accessToken);
    const operation = `graph:${read.pattern}` as const;
    return this.exchange({ ...options, operation, method: 'GET', url }, (text) => {
      const answer = cutAtGraphLinks(text, this.graphHost, accessToken);
      if (answer === 'not_an_object') {
        throw badResponse(operation, 'the body is not a JSON object');
      }
      if (answer === 'holds_token') {
        throw badResponse(
          operation,
          'the answer holds an access token outside a Graph link; withheld',
        );
      }
      return answer;
    });
  }

  /** One call whose answer must be a JSON object. */
  private send(request: InstagramRequest): Promise<JsonObject> {
    return this.exchange(request, (text) => {
      const body = parseInstagramJson(text);
      if (!isObject(body)) {
        throw badResponse(request.operation, 'the body is not a JSON object');
      }
      return body;
    });
  }

  /**
   * One call: refused without calling while a hold stands over its scope; throttling answers
   * place a hold for every replica; usage headers are noted; failures become InstagramErrors;
   * a successful answer is read by `read` (whose failure is a bad response).
   */
  private async exchange<T>(request: InstagramRequest, read: (text: string) => T): Promise<T> {
    const { operation } = request;
    await this.refuseWhileHeld(request);
    const timeoutMs = Math.min(
      request.timeoutMs ?? this.settings.timeoutMs,
      this.settings.timeoutMs,
    );
    if (timeoutMs <= 0) {
      // The caller's budget is spent (a slow database before the call): nothing is sent.
      this.metrics.recordInstagramCall(operation, InstagramFailure.Timeout, 0);
      throw new InstagramError(InstagramFailure.Timeout, { message: 'no time left for the call' });
    }
    const startedAt = performance.now();
    const logged = () => ({ operation, url: loggableUrl(request) });
    let answer;
    try {
      answer = await this.http.send(request.method, request.url, timeoutMs, request.form);
    } catch (error) {
      const failure =
        error instanceof TransportError
          ? mapTransportError(error.reason, timeoutMs, error.deadlinePassed)
          : mapTransportError(error, timeoutMs, false);
      this.metrics.recordInstagramCall(operation, failure.failure, seconds(startedAt));
      this.logger.warn(
        { ...logged(), failure: failure.failure, ms: elapsed(startedAt) },
        'instagram call failed',
      );
      throw failure;
    }
    const ms = elapsed(startedAt);
    if (request.background === true) {
      // A sweep's answers come back together; handled one a turn, requests go in between.
      await this.turns.next();
    }
    const usage = readUsage(answer.headers);
    this.throttle.noteUsage(usage);
    if (answer.status < 200 || answer.status >= 300) {
      const failure = mapErrorResponse(answer.status, answer.text, answer.headers);
      this.metrics.recordInstagramCall(operation, failure.failure, ms / 1000);
      this.logger.warn(
        {
          ...logged(),
          status: answer.status,
          failure: failure.failure,
          instagramCode: failure.details.code,
          ms,
        },
        'instagram call failed',
      );
      if (failure.failure === InstagramFailure.RateLimited) {
        await this.hold(request, failure);
      }
      throw failure;
    }
    // Failures are logged at warn; a success is in the metrics and, at debug, here.
    if (this.logsSuccess) {
      this.logger.debug({ ...logged(), status: answer.status, ms }, 'instagram call');
    }
    const accountHold = this.throttle.accountHoldSeconds(usage);
    if (accountHold > 0 && request.account !== undefined) {
      await this.throttle.place(
        accountScope(request.account),
        accountHold,
        `${operation}: the account's usage header says it is spent`,
      );
    }
    let result: T;
    try {
      result = read(answer.text);
    } catch (error) {
      const failure =
        error instanceof InstagramError ? error : badResponse(operation, 'the body is not JSON');
      this.metrics.recordInstagramCall(operation, failure.failure, ms / 1000);
      this.logger.warn(
        { ...logged(), failure: failure.details.message },
        'instagram answer unusable',
      );
      throw failure;
    }
    this.metrics.recordInstagramCall(operation, 'ok', ms / 1000);
    return result;
  }

  private async refuseWhileHeld(request: InstagramRequest): Promise<void> {
    const scopes: HoldScope[] =
      request.account === undefined ? ['app'] : ['app', accountScope(request.account)];
    const remaining = await this.throttle.remainingSeconds(scopes);
    if (remaining > 0) {
      this.metrics.recordInstagramCall(request.operation, 'held', 0);
      throw new InstagramError(InstagramFailure.RateLimited, {
        message: `Instagram asked us to wait; calls resume in ${remaining} s`,
        retryAfterSeconds: remaining,
      });
    }
  }

  private async hold(request: InstagramRequest, failure: InstagramError): Promise<void> {
    const scope: HoldScope =
      failure.details.throttleScope === 'account' && request.account !== undefined
        ? accountScope(request.account)
        : 'app';
    const reason = `${request.operation}: ${failure.details.code ?? failure.details.httpStatus ?? ''} ${failure.details.message}`;
    await this.throttle.place(scope, failure.details.retryAfterSeconds ?? 60, reason.slice(0, 300));
  }
}

/** `base` (no query of its own) with the query encoded as searchParams encodes it, parsed once. */
function withQuery(base: string, query: Record<string, string>): URL {
  return new URL(`${base}?${new URLSearchParams(query).toString()}`);
}

/** `id` always: it is one of the account's ids that Meta's callbacks may name. */
function userFieldsParam(fields: readonly string[]): string {
  return [...new Set(['id', ...fields])].join(',');
}

function readLongLived(operation: InstagramOperation, body: JsonObject): LongLivedToken {
  const accessToken = readString(body.access_token);
  if (accessToken === undefined) {
    throw badResponse(operation, 'no access_token');
  }
  const expiresIn = readCount(body.expires_in);
  return {
    accessToken,
    expiresInSeconds:
      expiresIn !== undefined && expiresIn > 0 ? expiresIn : FALLBACK_LONG_LIVED_SECONDS,
  };
}

/**
 * A call's URL as logs may keep it: a proxied read carries the caller's query, so only the values
 * request logs keep pass; the vault's own calls have their secrets redacted.
 */
function loggableUrl(request: InstagramRequest): string {
  const url = request.url.toString();
  return request.operation.startsWith('graph:')
    ? keepQueryParams(url, LOGGED_QUERY_PARAMS)
    : redactUrl(url);
}

function badResponse(operation: InstagramOperation, what: string): InstagramError {
  return new InstagramError(InstagramFailure.BadResponse, { message: `${operation}: ${what}` });
}

/** Media ids reach the client checked already; this keeps a path from ever taking anything else. */
function digitsOnly(id: string): string {
  if (!/^\d+$/.test(id)) {
    throw new Error('a media id must be digits');
  }
  return id;
}

function readMediaNode(operation: InstagramOperation, value: unknown): MediaNode {
  const node = isObject(value) ? value : {};
  const id = readId(node.id);
  if (id === undefined) {
    throw badResponse(operation, 'a media object without an id');
  }
  return {
    id,
    caption: readString(node.caption),
    mediaType: readString(node.media_type),
    mediaProductType: readString(node.media_product_type),
    mediaUrl: readString(node.media_url),
    thumbnailUrl: readString(node.thumbnail_url),
    permalink: readString(node.permalink),
    timestamp: readTimestamp(node.timestamp),
    username: readString(node.username),
    likeCount: readCount(node.like_count),
    commentsCount: readCount(node.comments_count),
  };
}

/** Instagram's cursor of the next page; none when its answer links no next page. */
function nextPageCursor(paging: unknown): string | undefined {
  if (!isObject(paging) || typeof paging.next !== 'string') {
    return undefined;
  }
  const cursors = isObject(paging.cursors) ? paging.cursors : {};
  const after = readString(cursors.after);
  if (after !== undefined) {
    return after;
  }
  try {
    return new URL(paging.next).searchParams.get('after') ?? undefined;
  } catch {
    return undefined;
  }
}

function seconds(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

function elapsed(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
