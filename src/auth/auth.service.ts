import { createHash, randomBytes } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppError, asAppError, ErrorCode } from '../common/app-error.js';
import { redactUrl } from '../common/redact.js';
import type { AppConfig, InstagramConfig } from '../config/app-config.js';
import { InstagramClient } from '../instagram/instagram.client.js';
import type { ConnectionRecord } from '../tokens/connection.record.js';
import { TokensService } from '../tokens/tokens.service.js';
import { cleanAuthorizationCode } from './authorization-code.js';
import { OAuthStatesRepository } from './oauth-states.repository.js';
import { checkReturnTo, withOutcome } from './return-url.js';

const STATE_BYTES = 32;
/** What a consent may take beyond INSTAGRAM_TIMEOUT_MS: our own database work. */
const CONSENT_SLACK_MS = 1000;
const STATE_LIFETIME_MS = 10 * 60 * 1000;

interface ExchangeInput {
  code: string;
  redirectUri?: string;
  ownerId?: string;
}

export interface StartedFlow {
  url: string;
  state: string;
  expiresAt: Date;
}

/** What Instagram's redirect brought, as strings (anything else was dropped). */
export interface CallbackParams {
  code?: string;
  state?: string;
  error?: string;
  errorReason?: string;
  errorDescription?: string;
}

export interface CallbackOutcome {
  /** Where the person goes next, outcome in its query; null when the flow had no return URL. */
  redirectTo: string | null;
  connection?: ConnectionRecord;
  error?: AppError;
}

interface CallbackResult {
  returnTo: string | null;
  connection?: ConnectionRecord;
  error?: AppError;
}

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly instagramConfig: InstagramConfig;
  private readonly returnToOrigins: string[];

  constructor(
    private readonly states: OAuthStatesRepository,
    private readonly instagram: InstagramClient,
    private readonly tokens: TokensService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.instagramConfig = config.get('instagram', { infer: true });
    this.returnToOrigins = config.get('auth', { infer: true }).returnToOrigins;
  }

  async startFlow(input: { ownerId?: string; returnTo?: string }): Promise<StartedFlow> {
    const returnTo =
      input.returnTo === undefined ? null : checkReturnTo(input.returnTo, this.returnToOrigins);
    const state = randomBytes(STATE_BYTES).toString('base64url');
    const expiresAt = new Date(Date.now() + STATE_LIFETIME_MS);
    await this.states.create(hashState(state), {
      ownerId: input.ownerId ?? null,
      returnTo,
      expiresAt,
    });
    const url = this.instagram.authorizeUrl(state);
    this.logger.log({ url: redactUrl(url), ownerId: input.ownerId }, 'authorization flow started');
    void this.states.deleteStale().catch(() => undefined);
    return { url, state, expiresAt };
  }

  /**
   * Instagram's redirect: the state is checked and spent before Instagram is called. Every
   * outcome, failures included, goes back to the flow's return URL when it has one.
   */
  async completeCallback(params: CallbackParams): Promise<CallbackOutcome> {
    const result = await this.callbackResult(params, this.consentDeadline());
    if (result.returnTo === null) {
      return { redirectTo: null, connection: result.connection, error: result.error };
    }
    const outcome: Record<string, string> =
      result.connection !== undefined
        ? { status: 'connected', ig_user_id: result.connection.igUserId }
        : { status: 'error', error: result.error?.code ?? ErrorCode.InternalError };
    return { ...result, redirectTo: withOutcome(result.returnTo, outcome) };
  }

  private async callbackResult(params: CallbackParams, deadline: number): Promise<CallbackResult> {
    if (params.state === undefined) {
      return {
        returnTo: null,
        error:
          params.error !== undefined
            ? denied(params)
            : new AppError(ErrorCode.InvalidState, 'The callback carries no state.'),
      };
    }
    const consumed = await this.states.consume(hashState(params.state));
    if (consumed.outcome === 'unknown') {
      return { returnTo: null, error: invalidState('is not one this service issued') };
    }
    const { returnTo, ownerId } = consumed.flow;
    if (consumed.outcome === 'already_used') {
      return { returnTo, error: invalidState('was already used') };
    }
    if (consumed.outcome === 'expired') {
      return {
        returnTo,
        error: invalidState(`has expired (flows last ${STATE_LIFETIME_MS / 60_000} minutes)`),
      };
    }
    if (params.error !== undefined) {
      return { returnTo, error: denied(params) };
    }
    if (params.code === undefined) {
      return {
        returnTo,
        error: new AppError(ErrorCode.ValidationFailed, 'The callback carries no code.'),
      };
    }
    try {
      const connection = await this.exchangeWithin(
        {
          code: params.code,
          redirectUri: this.instagramConfig.redirectUri,
          ownerId: ownerId ?? undefined,
        },
        deadline,
      );
      return { returnTo, connection };
    } catch (error) {
      const appError = asAppError(error);
      if (appError === undefined) {
        this.logger.error({ err: error }, 'callback failed unexpectedly');
      }
      return {
        returnTo,
        error:
          appError ?? new AppError(ErrorCode.InternalError, 'Something went wrong on our side.'),
      };
    }
  }

  /** Exchanges a code for a short-lived token and stores (then upgrades) it. */
  exchangeCode(input: ExchangeInput): Promise<ConnectionRecord> {
    return this.exchangeWithin(input, this.consentDeadline());
  }

  /**
   * A consent answers within INSTAGRAM_TIMEOUT_MS plus a second, however slow Instagram is:
   * the code exchange gets the budget first, the long-lived upgrade what is left.
   */
  private consentDeadline(): number {
    return Date.now() + this.instagramConfig.timeoutMs + CONSENT_SLACK_MS;
  }

  private async exchangeWithin(input: ExchangeInput, deadline: number): Promise<ConnectionRecord> {
    const code = cleanAuthorizationCode(input.code);
    if (code.length === 0) {
      throw new AppError(ErrorCode.ValidationFailed, 'code is empty.');
    }
    const token = await this.instagram.exchangeCode(
      code,
      input.redirectUri ?? this.instagramConfig.redirectUri,
      { timeoutMs: Math.min(this.instagramConfig.timeoutMs, deadline - Date.now()) },
    );
    const connection = await this.tokens.connect({
      token,
      ownerId: input.ownerId,
      requestedScopes: this.instagramConfig.scopes,
      deadline,
    });
    this.logger.log(
      {
        igUserId: connection.igUserId,
        tokenKind: connection.tokenKind,
        ownerId: connection.ownerId,
      },
      'connection stored',
    );
    return connection;
  }
}

function hashState(state: string): string {
  return createHash('sha256').update(state, 'utf8').digest('hex');
}

function invalidState(why: string): AppError {
  return new AppError(
    ErrorCode.InvalidState,
    `The authorization state ${why}; start the flow again.`,
  );
}

function denied(params: CallbackParams): AppError {
  const reason = params.errorDescription ?? params.errorReason ?? params.error ?? 'denied';
  return new AppError(ErrorCode.AccessDenied, `Instagram reported: ${reason.slice(0, 200)}`, {
    extensions: { instagramError: (params.error ?? '').slice(0, 64) },
  });
}
