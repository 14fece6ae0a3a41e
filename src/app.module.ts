import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import { AuthModule } from './auth/auth.module.js';
import { JwtAuthGuard } from './auth/jwt-auth.guard.js';
import { RelayExceptionFilter } from './common/relay-exception.filter.js';
import { RelayConfigModule } from './config/config.module.js';
import type { RelayConfig } from './config/relay-config.js';
import { HealthModule } from './health/health.module.js';
import { createRelayLogger } from './observability/logger.js';
import { ObservabilityModule } from './observability/observability.module.js';
import { TracingModule, TRACING_OFF, type RelayTracing } from './observability/tracing.js';
import { RateLimitGuard } from './rate-limit/rate-limit.guard.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { RelayModule } from './relay/relay.module.js';

export interface AppModuleOptions {
  /**
   * The `ConfigModule` that read and validated `config` from the environment
   * (main.ts, `RelayConfigModule.fromEnvironment`); absent, `config` is
   * handed in as it is (tests, the demo).
   */
  configModule?: DynamicModule;
  /** The application's pino logger; `createApp` passes the one it mounts. */
  logger?: Logger;
  /** Tracing hooks (`startTracing`); off by default. */
  tracing?: RelayTracing;
}

/**
 * Wiring only. The global enhancers are registered here and nowhere else, so
 * e2e tests boot exactly the production pipeline (house style 2). Guards run
 * in the order they are listed; no global pipe (the observable routes bind
 * `ObservablesPipe` to their body).
 */
@Module({})
export class AppModule {
  static register(config: RelayConfig, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        options.configModule ?? RelayConfigModule.forRoot(config),
        TracingModule.forRoot(options.tracing ?? TRACING_OFF),
        ObservabilityModule.forRoot(options.logger ?? createRelayLogger(config.logLevel)),
        RateLimitModule,
        AuthModule,
        HealthModule,
        RelayModule,
      ],
      providers: [
        // 1. The per-client limit, off unless RATE_LIMIT_PER_MINUTE is set. First, so a
        //    flood of bad tokens is limited too; probes and metrics carry @SkipRateLimit().
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        // 2. The JWT, on every route without @Public() (house style 4).
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        // Whatever is thrown, by a guard or a handler, ends as the relay envelope (house style 6).
        { provide: APP_FILTER, useClass: RelayExceptionFilter },
      ],
    };
  }
}
