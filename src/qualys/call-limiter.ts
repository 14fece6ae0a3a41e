import { Inject, Injectable } from '@nestjs/common';
import pLimit, { type LimitFunction } from 'p-limit';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';

/**
 * The process-wide cap on concurrent Qualys calls (`QUALYS_CONCURRENCY`).
 * Each relay request also gets its own smaller limiter (`forRequest`), so a
 * request with hundreds of observables holds at most half the global slots
 * and cannot starve the requests that arrive after it.
 */
@Injectable()
export class QualysCallLimiter {
  private readonly global: LimitFunction;
  readonly perRequestLimit: number;

  constructor(@Inject(RELAY_CONFIG) config: RelayConfig) {
    this.global = pLimit(config.qualys.concurrency);
    this.perRequestLimit = Math.max(1, Math.ceil(config.qualys.concurrency / 2));
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    return this.global(task);
  }

  forRequest(): <T>(task: () => Promise<T>) => Promise<T> {
    const limit = pLimit(this.perRequestLimit);
    return (task) => limit(task);
  }

  /** Calls running or queued, for metrics and readiness. */
  get pending(): number {
    return this.global.activeCount + this.global.pendingCount;
  }
}
