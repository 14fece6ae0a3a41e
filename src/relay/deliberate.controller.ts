import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Observable } from '../common/observable.js';
import { ObservableDto } from './dto/observable.dto.js';
import { EmptyObjectDataDto } from './dto/responses.dto.js';
import { ObservablesPipe } from './observables.pipe.js';
import { DELIBERATE_EXAMPLES, OBSERVABLES_REQUEST_EXAMPLES } from './dto/api-examples.js';
import { ApiRelayOkResponse, ApiRelayRateLimitResponse } from './dto/api-responses.decorator.js';
import { RELAY_ROUTES } from './relay-routes.js';

/** Spec §2: Qualys IOC gives no verdicts, so deliberation answers nothing. */
@ApiTags('relay')
@ApiBearerAuth('bearer')
@ApiRelayRateLimitResponse()
@Controller()
export class DeliberateController {
  @Post(RELAY_ROUTES.deliberate)
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deliberateObservables',
    summary: 'Verdicts (none from Qualys IOC)',
  })
  @ApiBody({ type: [ObservableDto], examples: OBSERVABLES_REQUEST_EXAMPLES })
  @ApiRelayOkResponse(EmptyObjectDataDto, DELIBERATE_EXAMPLES)
  observables(@Body(ObservablesPipe) _observables: Observable[]): { data: Record<string, never> } {
    return { data: {} };
  }
}
