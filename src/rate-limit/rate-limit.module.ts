import { Module } from '@nestjs/common';
import { RateLimitGuard } from './rate-limit.guard.js';

/**
 * The operator's per-client request limit. Provides the guard; `AppModule`
 * installs it as a global guard, ahead of authentication.
 */
@Module({
  providers: [RateLimitGuard],
  exports: [RateLimitGuard],
})
export class RateLimitModule {}
