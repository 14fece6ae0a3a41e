import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from '@jest/globals';
import { HealthIndicatorService } from '@nestjs/terminus';
import { configServiceOf } from '../../test/support/jwt-test-config.js';
import { parseRelayConfig, type Env } from '../config/config-parser.js';
import type { EventLoopMonitor } from './event-loop-monitor.js';
import type { GracefulShutdown } from './graceful-shutdown.js';
import { ReadinessIndicators } from './readiness.indicators.js';

const MIB = 1024 * 1024;

function indicators(
  env: Env,
  state: { p99DelayMs?: number; shuttingDown?: boolean } = {},
): ReadinessIndicators {
  const config = parseRelayConfig({
    AUTH_MODE: 'secret',
    JWT_SECRET: 'readiness-spec-secret-0123456789abcdef',
    ...env,
  });
  const eventLoop = { p99DelayMs: () => state.p99DelayMs ?? 0 } as EventLoopMonitor;
  const shutdown = { shuttingDown: state.shuttingDown ?? false } as GracefulShutdown;
  return new ReadinessIndicators(
    new HealthIndicatorService(),
    configServiceOf(config),
    eventLoop,
    shutdown,
  );
}

describe('ReadinessIndicators', () => {
  it('reports the loaded configuration', () => {
    expect(indicators({}).configLoaded()).toEqual({ config: { status: 'up', authMode: 'secret' } });
  });

  it('is up while the event loop p99 delay is at or under the threshold', () => {
    expect(
      indicators(
        { READINESS_MAX_EVENT_LOOP_DELAY_MS: '250' },
        { p99DelayMs: 250 },
      ).eventLoopDelay(),
    ).toEqual({
      event_loop: { status: 'up', p99DelayMs: 250, maxDelayMs: 250 },
    });
  });

  it('is down when the event loop p99 delay exceeds the threshold', () => {
    expect(
      indicators(
        { READINESS_MAX_EVENT_LOOP_DELAY_MS: '250' },
        { p99DelayMs: 251 },
      ).eventLoopDelay(),
    ).toEqual({
      event_loop: {
        status: 'down',
        message: 'Event loop delay above the threshold',
        p99DelayMs: 251,
        maxDelayMs: 250,
      },
    });
  });

  it('defaults the heap threshold to 90% of the V8 heap limit', () => {
    expect(indicators({}).maxHeapUsedBytes).toBe(
      Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    );
    expect(indicators({ READINESS_MAX_HEAP_USED_MB: '512' }).maxHeapUsedBytes).toBe(512 * MIB);
  });

  it('is up while the heap in use is under the threshold', () => {
    expect(indicators({ READINESS_MAX_HEAP_USED_MB: '1048576' }).heap()).toEqual({
      heap: { status: 'up', usedMb: expect.any(Number), maxUsedMb: 1_048_576 },
    });
  });

  it('is down when the heap in use exceeds the threshold', () => {
    expect(indicators({ READINESS_MAX_HEAP_USED_MB: '1' }).heap()).toEqual({
      heap: {
        status: 'down',
        message: 'Heap in use above the threshold',
        usedMb: expect.any(Number),
        maxUsedMb: 1,
      },
    });
  });

  it('turns the lifecycle check down once a shutdown has begun', () => {
    expect(indicators({}).lifecycle()).toEqual({ lifecycle: { status: 'up' } });
    expect(indicators({}, { shuttingDown: true }).lifecycle()).toEqual({
      lifecycle: { status: 'down', message: 'Shutting down' },
    });
  });
});
