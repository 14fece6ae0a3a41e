import { getHeapStatistics } from 'node:v8';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { RelayConfig } from '../config/relay-config.js';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { GracefulShutdown } from './graceful-shutdown.js';

const MIB = 1024 * 1024;

/**
 * The local checks behind `GET /healthz/ready` (house style 13: never a
 * Qualys call — a Qualys outage must not take every replica out of the
 * Service at once).
 */
@Injectable()
export class ReadinessIndicators {
  /** Heap threshold in bytes: the configured MiB, else 90% of V8's heap limit. */
  readonly maxHeapUsedBytes: number;
  private readonly config: RelayConfig;

  constructor(
    private readonly health: HealthIndicatorService,
    settings: ConfigService<RelaySettings, true>,
    private readonly eventLoop: EventLoopMonitor,
    private readonly shutdown: GracefulShutdown,
  ) {
    this.config = settings.get('relay', { infer: true });
    const configured = this.config.readiness.maxHeapUsedMb * MIB;
    this.maxHeapUsedBytes =
      configured > 0 ? configured : Math.floor(getHeapStatistics().heap_size_limit * 0.9);
  }

  /** The configuration was parsed and validated at start-up (spec §8). */
  configLoaded(): HealthIndicatorResult<'config'> {
    return this.health.check('config').up({ authMode: this.config.auth.mode });
  }

  eventLoopDelay(): HealthIndicatorResult<'event_loop'> {
    const indicator = this.health.check('event_loop');
    const maxDelayMs = this.config.readiness.maxEventLoopDelayMs;
    const p99DelayMs = this.eventLoop.p99DelayMs();
    return p99DelayMs <= maxDelayMs
      ? indicator.up({ p99DelayMs, maxDelayMs })
      : indicator.down({ message: 'Event loop delay above the threshold', p99DelayMs, maxDelayMs });
  }

  heap(): HealthIndicatorResult<'heap'> {
    const indicator = this.health.check('heap');
    const used = process.memoryUsage().heapUsed;
    const usedMb = Math.round(used / MIB);
    const maxUsedMb = Math.round(this.maxHeapUsedBytes / MIB);
    return used <= this.maxHeapUsedBytes
      ? indicator.up({ usedMb, maxUsedMb })
      : indicator.down({ message: 'Heap in use above the threshold', usedMb, maxUsedMb });
  }

  /** Unready from the first moment of a graceful shutdown. */
  lifecycle(): HealthIndicatorResult<'lifecycle'> {
    const indicator = this.health.check('lifecycle');
    return this.shutdown.shuttingDown
      ? indicator.down({ message: 'Shutting down' })
      : indicator.up();
  }
}
