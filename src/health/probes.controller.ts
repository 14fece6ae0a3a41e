import { Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
} from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { SkipRateLimit } from '../rate-limit/skip-rate-limit.decorator.js';
import { ReadinessIndicators } from './readiness.indicators.js';

/**
 * `@HealthCheck()` documents itself by `require()`-ing @nestjs/swagger, which
 * works in Node but not under Jest (ESM), so the document would differ
 * between the two; the responses are documented explicitly instead.
 */
const NO_SWAGGER_REQUIRE = { noCache: true, swaggerDocumentation: false };

const LIVE_OK = {
  status: 'ok',
  info: { process: { status: 'up' } },
  error: {},
  details: { process: { status: 'up' } },
};

const READY_DETAILS = {
  config: { status: 'up', authMode: 'secret' },
  event_loop: { status: 'up', p99DelayMs: 3, maxDelayMs: 1000 },
  heap: { status: 'up', usedMb: 64, maxUsedMb: 3730 },
};
const READY_OK = {
  status: 'ok',
  info: { ...READY_DETAILS, lifecycle: { status: 'up' } },
  error: {},
  details: { ...READY_DETAILS, lifecycle: { status: 'up' } },
};
const SHUTTING_DOWN = { lifecycle: { status: 'down', message: 'Shutting down' } };
const READY_SHUTTING_DOWN = {
  status: 'shutting_down',
  info: READY_DETAILS,
  error: SHUTTING_DOWN,
  details: { ...READY_DETAILS, ...SHUTTING_DOWN },
};

/**
 * Kubernetes probes (house style 13): public, never rate limited, never a
 * Qualys call. A failing check answers 503 with Terminus's report, which the
 * exception filter passes through unchanged.
 */
@ApiTags('operations')
@Public()
@SkipRateLimit()
@Controller('healthz')
export class ProbesController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessIndicators,
  ) {}

  /** Liveness: the process answers. Nothing else, so a busy pod is not restarted. */
  @Get('live')
  @HealthCheck(NO_SWAGGER_REQUIRE)
  @ApiOperation({ operationId: 'checkLiveness', summary: 'Liveness probe: the process is up' })
  @ApiOkResponse({ description: 'The process is up', example: LIVE_OK })
  live(): Promise<HealthCheckResult> {
    return this.health.check([() => this.indicators.check('process').up()]);
  }

  /** Readiness: local state only — configuration, event loop, heap, not shutting down. */
  @Get('ready')
  @HealthCheck(NO_SWAGGER_REQUIRE)
  @ApiOperation({
    operationId: 'checkReadiness',
    summary:
      'Readiness probe: configuration loaded, event loop and heap under thresholds, not shutting down',
  })
  @ApiOkResponse({ description: 'Ready: Terminus report', example: READY_OK })
  @ApiServiceUnavailableResponse({
    description: 'Not ready (or shutting down): Terminus report',
    example: READY_SHUTTING_DOWN,
  })
  ready(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.readiness.configLoaded(),
      () => this.readiness.eventLoopDelay(),
      () => this.readiness.heap(),
      () => this.readiness.lifecycle(),
    ]);
  }
}
