import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Observable } from '../common/observable.js';
import { ObservableDto } from './dto/observable.dto.js';
import { EmptyListDataDto, TriggerResponseDto } from './dto/responses.dto.js';
import { ObservablesPipe } from './observables.pipe.js';
import {
  OBSERVABLES_REQUEST_EXAMPLES,
  RESPOND_EXAMPLES,
  TRIGGER_EXAMPLES,
} from './dto/api-examples.js';
import { ApiRelayOkResponse, ApiRelayRateLimitResponse } from './dto/api-responses.decorator.js';
import { RELAY_ROUTES } from './relay-routes.js';

/** Spec §2: the relay offers no response actions. */
@ApiTags('relay')
@ApiBearerAuth('bearer')
@ApiRelayRateLimitResponse()
@Controller()
export class RespondController {
  @Post(RELAY_ROUTES.respondObservables)
  @HttpCode(200)
  @ApiOperation({ operationId: 'respondObservables', summary: 'Response actions (none offered)' })
  @ApiBody({ type: [ObservableDto], examples: OBSERVABLES_REQUEST_EXAMPLES })
  @ApiRelayOkResponse(EmptyListDataDto, RESPOND_EXAMPLES)
  observables(@Body(ObservablesPipe) _observables: Observable[]): { data: never[] } {
    return { data: [] };
  }

  @Post(RELAY_ROUTES.respondTrigger)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'respondTrigger',
    summary: 'Trigger a response action (always fails: none offered)',
  })
  @ApiRelayOkResponse(TriggerResponseDto, TRIGGER_EXAMPLES)
  trigger(): { data: { status: 'failure' } } {
    return { data: { status: 'failure' } };
  }
}
