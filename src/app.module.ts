import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from './auth/auth.module.js';
import { RelayExceptionFilter } from './common/relay-exception.filter.js';
import { RelayConfigModule } from './config/config.module.js';
import type { RelayConfig } from './config/relay-config.js';
import { RelayModule } from './relay/relay.module.js';

/**
 * Wiring only. Cross-cutting pieces (guard, filter) are providers here so
 * e2e tests boot exactly the production pipeline (house style 2).
 */
@Module({})
export class AppModule {
  static register(config: RelayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [RelayConfigModule.forRoot(config), AuthModule, RelayModule],
      providers: [{ provide: APP_FILTER, useClass: RelayExceptionFilter }],
    };
  }
}
