import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
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
import { notReady, READY, type ReadinessAnswer } from './readiness-answer.js';
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

const NOT_READY: ReadinessAnswer = { status: 'error', failing: ['heap'] };

/**
 * Kubernetes probes (house style 13): public, never rate limited, never a
 * Qualys call. Readiness answers its own 503; liveness fails only while
 * Terminus shuts down, with Terminus's report, which the exception filter
 * passes through unchanged.
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

  /**
   * Readiness: local state only — configuration, event loop, heap, not
   * shutting down. Answers ready or the names of the failing checks (spec
   * §15); Terminus logs a failing check with its figures.
   */
  @Get('ready')
  @HealthCheck(NO_SWAGGER_REQUIRE)
  @ApiOperation({
    operationId: 'checkReadiness',
    summary:
      'Readiness probe: configuration loaded, event loop and heap under thresholds, not shutting down',
  })
  @ApiOkResponse({ description: 'Ready', example: READY })
  @ApiServiceUnavailableResponse({
    description: 'Not ready (or shutting down): the names of the failing checks',
    example: NOT_READY,
  })
  async ready(@Res({ passthrough: true }) response: Response): Promise<ReadinessAnswer> {
    try {
      await this.health.check([
        () => this.readiness.configLoaded(),
        () => this.readiness.eventLoopDelay(),
        () => this.readiness.heap(),
        () => this.readiness.lifecycle(),
      ]);
      return READY;
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return notReady(error.getResponse() as HealthCheckResult);
    }
  }
}
