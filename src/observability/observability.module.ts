import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { QUALYS_CALL_OBSERVER } from '../qualys/qualys.client.js';
import { pinoHttpBase } from './logger.js';
import { MetricsController } from './metrics.controller.js';
import { RelayMetrics } from './metrics.js';

/** DI token of the application's pino logger. */
export const RELAY_LOGGER = Symbol('RELAY_LOGGER');

/**
 * Logging and metrics. Global so that the Qualys client finds its
 * (optional) call observer without QualysModule knowing about metrics.
 *
 * nestjs-pino runs with `useExisting`: the request logger is mounted by
 * `createApp` ahead of every route (Swagger's included), and nestjs-pino
 * binds each request's child logger for Nest's own logs.
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: ObservabilityModule,
      imports: [LoggerModule.forRoot({ pinoHttp: pinoHttpBase(logger), useExisting: true })],
      controllers: [MetricsController],
      providers: [
        { provide: RELAY_LOGGER, useValue: logger },
        RelayMetrics,
        { provide: QUALYS_CALL_OBSERVER, useExisting: RelayMetrics },
      ],
      exports: [RELAY_LOGGER, RelayMetrics, QUALYS_CALL_OBSERVER],
    };
  }
}
