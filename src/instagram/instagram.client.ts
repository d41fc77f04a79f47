import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { redactUrl } from '../common/redact.js';
import type { AppConfig, InstagramConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { mapErrorResponse, mapTransportError } from './instagram-error.mapper.js';
import { InstagramHttp, TransportError } from './instagram-http.js';
import {
  isObject,
  type JsonObject,
  parseInstagramJson,
  readCount,
  readId,
  readPermissions,
  readString,
} from './instagram-json.js';
import { accountScope, type HoldScope, InstagramThrottle } from './instagram-throttle.js';
import { InstagramError, InstagramFailure } from './instagram.errors.js';
import type { LongLivedToken, ShortLivedToken, UserNode } from './instagram.wire.js';
import { readUsage } from './throttle-signals.js';

export type InstagramOperation = 'exchange_code' | 'exchange_long_lived' | 'refresh' | 'me';

/** Per call: the connection it is made for (its rate-limit scope) and a shorter deadline. */
export interface CallOptions {
  /** The connection key (igUserId) whose token the call carries. */
  account?: string;
  /** At most INSTAGRAM_TIMEOUT_MS; a caller with less time left passes what it has. */
  timeoutMs?: number;
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

  constructor(
    private readonly metrics: MetricsService,
    private readonly throttle: InstagramThrottle,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('instagram', { infer: true });
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
    const version = this.settings.graphVersion ? `/${this.settings.graphVersion}` : '';
    // `id` always: it is one of the account's ids that Meta's callbacks may name.
    const asked = [...new Set(['id', ...(options.fields ?? this.settings.userFields)])];
    const body = await this.send({
      ...options,
      operation: 'me',
      method: 'GET',
      url: withQuery(`${this.settings.graphUrl}${version}/me`, {
        fields: asked.join(','),
        access_token: accessToken,
      }),
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

  /**
   * One call: refused without calling while a hold stands over its scope; throttling answers
   * place a hold for every replica; usage headers are noted; failures become InstagramErrors.
   */
  private async send(request: InstagramRequest): Promise<JsonObject> {
    const { operation } = request;
    await this.refuseWhileHeld(request);
    const timeoutMs = Math.min(
      request.timeoutMs ?? this.settings.timeoutMs,
      this.settings.timeoutMs,
    );
    const startedAt = performance.now();
    const logged = { operation, url: redactUrl(request.url.toString()) };
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
        { ...logged, failure: failure.failure, ms: elapsed(startedAt) },
        'instagram call failed',
      );
      throw failure;
    }
    const ms = elapsed(startedAt);
    this.throttle.noteUsage(readUsage(answer.headers));
    if (answer.status < 200 || answer.status >= 300) {
      const failure = mapErrorResponse(answer.status, answer.text, answer.headers);
      this.metrics.recordInstagramCall(operation, failure.failure, ms / 1000);
      this.logger.warn(
        {
          ...logged,
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
    this.logger.log({ ...logged, status: answer.status, ms }, 'instagram call');
    let body: unknown;
    try {
      body = parseInstagramJson(answer.text);
    } catch {
      body = undefined;
    }
    if (!isObject(body)) {
      this.metrics.recordInstagramCall(operation, InstagramFailure.BadResponse, ms / 1000);
      throw badResponse(operation, 'the body is not a JSON object');
    }
    this.metrics.recordInstagramCall(operation, 'ok', ms / 1000);
    return body;
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

function withQuery(base: string, query: Record<string, string>): URL {
  const url = new URL(base);
  for (const [name, value] of Object.entries(query)) {
    url.searchParams.set(name, value);
  }
  return url;
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

function badResponse(operation: InstagramOperation, what: string): InstagramError {
  return new InstagramError(InstagramFailure.BadResponse, { message: `${operation}: ${what}` });
}

function seconds(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

function elapsed(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
