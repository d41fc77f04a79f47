import { HttpService } from '@nestjs/axios';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AxiosRequestConfig, AxiosResponse } from 'axios';
import { firstValueFrom } from 'rxjs';
import { redactUrl } from '../common/redact.js';
import type { AppConfig, InstagramConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { mapErrorResponse, mapTransportError } from './instagram-error.mapper.js';
import {
  isObject,
  type JsonObject,
  parseInstagramJson,
  readCount,
  readId,
  readPermissions,
  readString,
} from './instagram-json.js';
import { InstagramError, InstagramFailure } from './instagram.errors.js';
import type { LongLivedToken, ShortLivedToken, UserNode } from './instagram.wire.js';

export type InstagramOperation = 'exchange_code' | 'exchange_long_lived' | 'refresh' | 'me';

/** Instagram documents 60 days; used only if an answer forgets expires_in. */
const FALLBACK_LONG_LIVED_SECONDS = 60 * 24 * 60 * 60;

/** The only code that knows Instagram's URLs, parameters and answers. */
@Injectable()
export class InstagramClient implements OnApplicationShutdown {
  private readonly logger = new Logger(InstagramClient.name);
  private readonly settings: InstagramConfig;

  constructor(
    private readonly http: HttpService,
    private readonly metrics: MetricsService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.settings = config.get('instagram', { infer: true });
  }

  onApplicationShutdown(): void {
    const defaults = this.http.axiosRef.defaults;
    (defaults.httpAgent as { destroy?: () => void } | undefined)?.destroy?.();
    (defaults.httpsAgent as { destroy?: () => void } | undefined)?.destroy?.();
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

  async exchangeCode(code: string, redirectUri: string): Promise<ShortLivedToken> {
    const form = new URLSearchParams({
      client_id: this.settings.appId,
      client_secret: this.settings.appSecret,
      grant_type: 'authorization_code',
      redirect_uri: redirectUri,
      code,
    });
    const body = await this.send('exchange_code', {
      method: 'POST',
      url: `${this.settings.apiUrl}/oauth/access_token`,
      data: form.toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
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

  async exchangeForLongLived(shortLivedToken: string): Promise<LongLivedToken> {
    const body = await this.send('exchange_long_lived', {
      method: 'GET',
      url: `${this.settings.graphUrl}/access_token`,
      params: {
        grant_type: 'ig_exchange_token',
        client_secret: this.settings.appSecret,
        access_token: shortLivedToken,
      },
    });
    return readLongLived('exchange_long_lived', body);
  }

  async refreshLongLived(longLivedToken: string): Promise<LongLivedToken> {
    const body = await this.send('refresh', {
      method: 'GET',
      url: `${this.settings.graphUrl}/refresh_access_token`,
      params: { grant_type: 'ig_refresh_token', access_token: longLivedToken },
    });
    return readLongLived('refresh', body);
  }

  async getUserNode(
    accessToken: string,
    fields: string[] = this.settings.userFields,
  ): Promise<UserNode> {
    const version = this.settings.graphVersion ? `/${this.settings.graphVersion}` : '';
    // `id` always: it is one of the account's ids that Meta's callbacks may name.
    const asked = [...new Set(['id', ...fields])];
    const body = await this.send('me', {
      method: 'GET',
      url: `${this.settings.graphUrl}${version}/me`,
      params: { fields: asked.join(','), access_token: accessToken },
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

  private async send(
    operation: InstagramOperation,
    request: AxiosRequestConfig,
  ): Promise<JsonObject> {
    const timeoutMs = this.settings.timeoutMs;
    const startedAt = performance.now();
    const logged = { operation, url: redactUrl(this.http.axiosRef.getUri(request)) };
    let response: AxiosResponse<string>;
    try {
      response = await firstValueFrom(
        this.http.request<string>({
          ...request,
          timeout: timeoutMs,
          signal: AbortSignal.timeout(timeoutMs),
          responseType: 'text',
          transformResponse: (data: unknown) => data,
          validateStatus: () => true,
          maxRedirects: 0,
        }),
      );
    } catch (error) {
      const failure = mapTransportError(error, timeoutMs);
      this.metrics.recordInstagramCall(operation, failure.failure, seconds(startedAt));
      this.logger.warn(
        { ...logged, failure: failure.failure, ms: elapsed(startedAt) },
        'instagram call failed',
      );
      throw failure;
    }
    const text = typeof response.data === 'string' ? response.data : '';
    const ms = elapsed(startedAt);
    if (response.status < 200 || response.status >= 300) {
      const failure = mapErrorResponse(response.status, text, response.headers);
      this.metrics.recordInstagramCall(operation, failure.failure, ms / 1000);
      this.logger.warn(
        {
          ...logged,
          status: response.status,
          failure: failure.failure,
          instagramCode: failure.details.code,
          ms,
        },
        'instagram call failed',
      );
      throw failure;
    }
    this.logger.log({ ...logged, status: response.status, ms }, 'instagram call');
    let body: unknown;
    try {
      body = parseInstagramJson(text);
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
