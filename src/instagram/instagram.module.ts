import { Module } from '@nestjs/common';
import { InstagramClient } from './instagram.client.js';
import { InstagramThrottle } from './instagram-throttle.js';
import { RateLimitHoldsRepository } from './rate-limit-holds.repository.js';

@Module({
  providers: [InstagramClient, InstagramThrottle, RateLimitHoldsRepository],
  exports: [InstagramClient, InstagramThrottle],
})
export class InstagramModule {}
