import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RelayContext } from '../auth/relay-context.js';
import { RelayCtx } from '../auth/relay-context.decorator.js';
import { QualysHealthIndicator } from '../qualys/qualys.health.js';
import { ApiRelayOkResponse, ApiRelayRateLimitResponse } from './dto/api-responses.decorator.js';
import { HEALTH_EXAMPLES } from './dto/api-examples.js';
import { HealthResponseDto } from './dto/responses.dto.js';
import { RELAY_ROUTES } from './relay-routes.js';

/**
 * Spec §2 `/health`: proves the caller's Qualys credentials and reachability
 * with one search of active events, page size 1. A failure is the Qualys
 * client's `RelayError`, answered as the error envelope unchanged. Distinct
 * from the Kubernetes probes, which never call Qualys (house style 13).
 */
@ApiTags('relay')
@ApiBearerAuth('bearer')
@ApiRelayRateLimitResponse()
@Controller()
export class RelayHealthController {
  constructor(private readonly qualysHealth: QualysHealthIndicator) {}

  @Post(RELAY_ROUTES.health)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'checkHealth',
    summary: "Checks the caller's Qualys IOC credentials and reachability",
  })
  @ApiRelayOkResponse(HealthResponseDto, HEALTH_EXAMPLES)
  async health(@RelayCtx() relayContext: RelayContext): Promise<{ data: { status: 'ok' } }> {
    await this.qualysHealth.isHealthy(relayContext);
    return { data: { status: 'ok' } };
  }
}
