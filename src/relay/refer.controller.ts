import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RelayContext } from '../auth/relay-context.js';
import { RelayCtx } from '../auth/relay-context.decorator.js';
import type { Observable } from '../common/observable.js';
import { ObservableDto } from './dto/observable.dto.js';
import { ReferResponseDto } from './dto/responses.dto.js';
import { ObservablesPipe } from './observables.pipe.js';
import { ReferService, type ReferLink } from './refer.service.js';
import { OBSERVABLES_REQUEST_EXAMPLES, REFER_EXAMPLES } from './dto/api-examples.js';
import { ApiRelayOkResponse, ApiRelayRateLimitResponse } from './dto/api-responses.decorator.js';
import { RELAY_ROUTES } from './relay-routes.js';

@ApiTags('relay')
@ApiBearerAuth('bearer')
@ApiRelayRateLimitResponse()
@Controller()
export class ReferController {
  constructor(private readonly refer: ReferService) {}

  @Post(RELAY_ROUTES.refer)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'referObservables',
    summary: 'Pivot links to the Qualys IOC console (no Qualys call)',
  })
  @ApiBody({ type: [ObservableDto], examples: OBSERVABLES_REQUEST_EXAMPLES })
  @ApiRelayOkResponse(ReferResponseDto, REFER_EXAMPLES)
  observables(
    @RelayCtx() relayContext: RelayContext,
    @Body(ObservablesPipe) observables: Observable[],
  ): { data: ReferLink[] } {
    return { data: this.refer.refer(relayContext, observables) };
  }
}
