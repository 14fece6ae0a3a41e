import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RelayContext } from '../auth/relay-context.js';
import { RelayCtx } from '../auth/relay-context.decorator.js';
import { QualysClient } from '../qualys/qualys.client.js';
import { HealthResponseDto } from './dto/responses.dto.js';

/**
 * Spec §2 `/health`: proves the caller's Qualys credentials and reachability
 * with one search of active events, page size 1. Distinct from the Kubernetes
 * probes, which never call Qualys (house style 13).
 */
@ApiTags('relay')
@ApiBearerAuth()
@Controller('health')
export class RelayHealthController {
  constructor(private readonly qualys: QualysClient) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: "Checks the caller's Qualys IOC credentials and reachability" })
  @ApiOkResponse({ type: HealthResponseDto })
  async health(@RelayCtx() context: RelayContext): Promise<{ data: { status: 'ok' } }> {
    await this.qualys.checkAccess(context);
    return { data: { status: 'ok' } };
  }
}
