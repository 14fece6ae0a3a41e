import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RelayContext } from '../auth/relay-context.js';
import { RelayCtx } from '../auth/relay-context.decorator.js';
import type { Observable } from '../common/observable.js';
import { ObservableDto } from './dto/observable.dto.js';
import { ObserveResponseDto } from './dto/responses.dto.js';
import { ObservablesPipe } from './observables.pipe.js';
import { ObserveService } from './observe.service.js';
import type { ObserveResponse } from './observe-response.js';
import { OBSERVABLES_REQUEST_EXAMPLES, OBSERVE_EXAMPLES } from './dto/api-examples.js';
import { ApiRelayOkResponse, ApiRelayRateLimitResponse } from './dto/api-responses.decorator.js';
import { RELAY_ROUTES } from './relay-routes.js';

@ApiTags('relay')
@ApiBearerAuth('bearer')
@ApiRelayRateLimitResponse()
@Controller()
export class ObserveController {
  constructor(private readonly observe: ObserveService) {}

  @Post(RELAY_ROUTES.observe)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'observeObservables',
    summary: 'Sightings, indicators, judgements and relationships from Qualys IOC events',
  })
  @ApiBody({ type: [ObservableDto], examples: OBSERVABLES_REQUEST_EXAMPLES })
  @ApiRelayOkResponse(ObserveResponseDto, OBSERVE_EXAMPLES)
  observables(
    @RelayCtx() relayContext: RelayContext,
    @Body(ObservablesPipe) observables: Observable[],
  ): Promise<ObserveResponse> {
    return this.observe.observe(relayContext, observables);
  }
}
