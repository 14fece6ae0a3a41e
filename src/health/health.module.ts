import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QualysModule } from '../qualys/qualys.module.js';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { GracefulShutdown } from './graceful-shutdown.js';
import { ProbesController } from './probes.controller.js';
import { QualysHealthIndicator } from './qualys.health.js';
import { ReadinessIndicators } from './readiness.indicators.js';

/**
 * Health: the Kubernetes probes, graceful shutdown, and the Terminus indicator
 * behind the relay's `POST /health`. Global so that `RelayHealthController`
 * (RelayModule) can inject `QualysHealthIndicator`.
 */
@Global()
@Module({
  // Terminus logs failed checks through Nest's logger, i.e. pino.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' }), QualysModule],
  controllers: [ProbesController],
  providers: [EventLoopMonitor, GracefulShutdown, ReadinessIndicators, QualysHealthIndicator],
  exports: [GracefulShutdown, QualysHealthIndicator],
})
export class HealthModule {}
