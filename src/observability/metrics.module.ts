import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller.js';
import { RelayMetrics } from './metrics.js';

/**
 * Prometheus metrics: the registry and the scrape endpoint. `QualysModule`
 * imports it to report its calls; `createApp` mounts the request middleware.
 */
@Module({
  controllers: [MetricsController],
  providers: [RelayMetrics],
  exports: [RelayMetrics],
})
export class MetricsModule {}
