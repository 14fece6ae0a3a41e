import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';

/** Sampling period of the event loop delay histogram, milliseconds. */
const RESOLUTION_MS = 20;

/**
 * The event loop's delay (p99) since the previous reading: the window is the
 * probe period. A loop that stays blocked (a runaway mapping, GC thrash)
 * makes the pod unready instead of queueing more requests behind it.
 */
@Injectable()
export class EventLoopMonitor implements OnModuleInit, OnApplicationShutdown {
  private histogram: IntervalHistogram | undefined;

  onModuleInit(): void {
    this.histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    this.histogram.enable();
  }

  /** p99 delay beyond the sampling period, in milliseconds, since the last call. */
  p99DelayMs(): number {
    const histogram = this.histogram;
    if (histogram === undefined || histogram.count === 0) return 0;
    const p99 = histogram.percentile(99) / 1e6 - RESOLUTION_MS;
    histogram.reset();
    return Math.max(0, Math.round(p99));
  }

  onApplicationShutdown(): void {
    this.histogram?.disable();
  }
}
