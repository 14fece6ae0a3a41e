import { Module } from '@nestjs/common';
import { QUALYS_CALL_OBSERVER } from '../qualys/qualys-call-observer.js';
import { MetricsController } from './metrics.controller.js';
import { RelayMetrics } from './metrics.js';

/**
 * Prometheus metrics: the registry, the scrape endpoint, and the Qualys call
 * observer. `QualysModule` imports it for the observer; `createApp` mounts
 * the request middleware.
 */
@Module({
  controllers: [MetricsController],
  providers: [RelayMetrics, { provide: QUALYS_CALL_OBSERVER, useExisting: RelayMetrics }],
  exports: [QUALYS_CALL_OBSERVER],
})
export class MetricsModule {}
