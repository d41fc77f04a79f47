import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { ApiScope, AppConfig } from '../config/app-config.js';
import { type AuthenticatedKey, ApiKeyMatcher, bearerSecret } from './api-key.js';
import { AppError, ErrorCode } from './app-error.js';
import { IS_PUBLIC } from './public.decorator.js';
import { REQUIRED_SCOPE } from './require-scope.decorator.js';

export type AuthenticatedRequest = FastifyRequest & { apiKey?: AuthenticatedKey };

/** Closed by default: every route needs a known API key unless marked @Public(). */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly matcher: ApiKeyMatcher;

  constructor(
    private readonly reflector: Reflector,
    config: ConfigService<AppConfig, true>,
  ) {
    this.matcher = new ApiKeyMatcher(config.get('apiKeys', { infer: true }));
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const secret = bearerSecret(request.headers.authorization);
    const key = secret === undefined ? undefined : this.matcher.match(secret);
    if (key === undefined) {
      throw new AppError(
        ErrorCode.Unauthorized,
        secret === undefined
          ? 'Send an API key as Authorization: Bearer <secret>.'
          : 'The API key is not known.',
        { headers: { 'www-authenticate': 'Bearer' } },
      );
    }
    request.apiKey = key;
    const scope = this.reflector.getAllAndOverride<ApiScope | undefined>(REQUIRED_SCOPE, targets);
    if (scope !== undefined && !key.scopes.has(scope)) {
      throw new AppError(
        ErrorCode.Forbidden,
        `The API key "${key.name}" lacks the ${scope} scope.`,
      );
    }
    return true;
  }
}
