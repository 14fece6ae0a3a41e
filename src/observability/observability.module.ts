import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { pinoHttpBase } from './logger.js';
import { MetricsModule } from './metrics.module.js';

/**
 * Logging and metrics.
 *
 * nestjs-pino runs with `useExisting`: the request logger is mounted by
 * `createApp` ahead of every route (Swagger's included), and nestjs-pino
 * binds each request's child logger for Nest's own logs.
 */
@Module({})
export class ObservabilityModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [
        LoggerModule.forRoot({ pinoHttp: pinoHttpBase(logger), useExisting: true }),
        MetricsModule,
      ],
    };
  }
}
