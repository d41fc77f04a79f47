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
  /** Controller, then handler, to what its decorators say. */
  private readonly routes = new WeakMap<object, WeakMap<object, RouteAccess>>();

  constructor(
    private readonly reflector: Reflector,
    config: ConfigService<AppConfig, true>,
  ) {
    this.matcher = new ApiKeyMatcher(config.get('apiKeys', { infer: true }));
  }

  canActivate(context: ExecutionContext): boolean {
    const access = this.accessOf(context);
    if (access.public) {
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
    const { scope } = access;
    if (scope !== undefined && !key.scopes.has(scope)) {
      throw new AppError(
        ErrorCode.Forbidden,
        `The API key "${key.name}" lacks the ${scope} scope.`,
      );
    }
    return true;
  }

  /** A route's decorators, read once per handler: they never change after boot. */
  private accessOf(context: ExecutionContext): RouteAccess {
    const handler = context.getHandler();
    const controller = context.getClass();
    let routes = this.routes.get(controller);
    if (routes === undefined) {
      routes = new WeakMap();
      this.routes.set(controller, routes);
    }
    let access = routes.get(handler);
    if (access === undefined) {
      const targets = [handler, controller];
      access = {
        public: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
        scope: this.reflector.getAllAndOverride<ApiScope | undefined>(REQUIRED_SCOPE, targets),
      };
      routes.set(handler, access);
    }
    return access;
  }
}

interface RouteAccess {
  public: boolean;
  scope: ApiScope | undefined;
}
