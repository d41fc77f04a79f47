import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import type { AppConfig } from '../config/app-config.js';
import { AppError, ErrorCode } from './app-error.js';
import { FixedWindowLimiter } from './fixed-window-limiter.js';

const WINDOW_MS = 60_000;

/** Per client address, per replica: RATE_LIMIT_PER_MINUTE requests on the public routes. */
@Injectable()
export class PublicRateLimitGuard implements CanActivate {
  private readonly limiter: FixedWindowLimiter | undefined;

  constructor(config: ConfigService<AppConfig, true>) {
    const perMinute = config.get('rateLimit', { infer: true }).publicPerMinute;
    this.limiter = perMinute > 0 ? new FixedWindowLimiter(perMinute, WINDOW_MS) : undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.limiter === undefined) {
      return true;
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const retryAfterMs = this.limiter.take(request.ip);
    if (retryAfterMs > 0) {
      throw new AppError(
        ErrorCode.RateLimited,
        'Too many requests from this address; wait for Retry-After seconds.',
        { retryAfterSeconds: retryAfterMs / 1000 },
      );
    }
    return true;
  }
}
