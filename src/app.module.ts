import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import { AuthModule } from './auth/auth.module.js';
import { RelayExceptionFilter } from './common/relay-exception.filter.js';
import { RelayConfigModule } from './config/config.module.js';
import type { RelayConfig } from './config/relay-config.js';
import { HealthModule } from './health/health.module.js';
import { createRelayLogger } from './observability/logger.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { RateLimitGuard } from './observability/rate-limit.guard.js';
import { RelayModule } from './relay/relay.module.js';

export interface AppModuleOptions {
  /** The application's pino logger; `createApp` passes the one it mounts. */
  logger?: Logger;
}

/**
 * Wiring only. Cross-cutting pieces (guards, filter) are providers here so
 * e2e tests boot exactly the production pipeline (house style 2).
 */
@Module({})
export class AppModule {
  static register(config: RelayConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        RelayConfigModule.forRoot(config),
        ObservabilityModule.forRoot(options.logger ?? createRelayLogger(config.logLevel)),
        AuthModule,
        HealthModule,
        RelayModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: RelayExceptionFilter },
        // Per-client limit, off unless RATE_LIMIT_PER_MINUTE is set; probes and
        // metrics carry @SkipRateLimit(), the API docs are not Nest routes.
        { provide: APP_GUARD, useClass: RateLimitGuard },
      ],
    };
  }
}
