import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RelayContext } from '../auth/relay-context.js';
import { RelayCtx } from '../auth/relay-context.decorator.js';
import type { Observable } from '../common/observable.js';
import { ObservableDto } from './dto/observable.dto.js';
import { DeliberateResponseDto } from './dto/responses.dto.js';
import { ObservablesPipe } from './observables.pipe.js';
import { ObserveService } from './observe.service.js';
import type { ObserveResponse } from './observe-response.js';
import { DELIBERATE_EXAMPLES, OBSERVABLES_REQUEST_EXAMPLES } from './dto/api-examples.js';
import { ApiRelayOkResponse, ApiRelayRateLimitResponse } from './dto/api-responses.decorator.js';
import { RELAY_ROUTES } from './relay-routes.js';

@ApiTags('relay')
@ApiBearerAuth('bearer')
@ApiRelayRateLimitResponse()
@Controller()
export class DeliberateController {
  constructor(private readonly observe: ObserveService) {}

  @Post(RELAY_ROUTES.deliberate)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deliberateObservables',
    summary: 'Verdicts on file hashes from the judgements of Qualys IOC events',
    description:
      'Searches Qualys IOC for the MD5 and SHA-256 observables (the same searches as ' +
      '/observe/observables, so one answers the other from the cache) and answers one verdict per ' +
      "hash that Qualys judged: Clean over Malicious over Suspicious, as Threat Response's own " +
      'verdicts. Each is valid for VERDICT_VALID_SEC from when Qualys answered. Other types get none.',
  })
  @ApiBody({ type: [ObservableDto], examples: OBSERVABLES_REQUEST_EXAMPLES })
  @ApiRelayOkResponse(DeliberateResponseDto, DELIBERATE_EXAMPLES)
  observables(
    @RelayCtx() relayContext: RelayContext,
    @Body(ObservablesPipe) observables: Observable[],
  ): Promise<ObserveResponse> {
    return this.observe.deliberate(relayContext, observables);
  }
}
