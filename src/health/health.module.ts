import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { GracefulShutdown } from './graceful-shutdown.js';
import { OpsServer } from './ops-server.js';
import { ProbesController } from './probes.controller.js';
import { ReadinessIndicators } from './readiness.indicators.js';

/**
 * The Kubernetes probes, graceful shutdown (`createApp` mounts its
 * in-flight tracking) and the operations port (`main.ts` opens it). The relay's `POST /health`, which does call Qualys,
 * belongs to the relay module and uses `QualysModule`'s indicator.
 */
@Module({
  // Terminus logs failed checks through Nest's logger, i.e. pino.
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [ProbesController],
  providers: [EventLoopMonitor, GracefulShutdown, OpsServer, ReadinessIndicators],
})
export class HealthModule {}
