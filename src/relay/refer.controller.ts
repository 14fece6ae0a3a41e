import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { RelayContext } from '../auth/relay-context.js';
import { RelayCtx } from '../auth/relay-context.decorator.js';
import type { Observable } from '../common/observable.js';
import { ObservableDto } from './dto/observable.dto.js';
import { ReferResponseDto } from './dto/responses.dto.js';
import { ObservablesPipe } from './observables.pipe.js';
import { ReferService, type ReferLink } from './refer.service.js';

@ApiTags('relay')
@ApiBearerAuth()
@Controller('refer')
export class ReferController {
  constructor(private readonly refer: ReferService) {}

  @Post('observables')
  @HttpCode(200)
  @ApiOperation({ summary: 'Pivot links to the Qualys IOC console (no Qualys call)' })
  @ApiBody({ type: [ObservableDto] })
  @ApiOkResponse({ type: ReferResponseDto })
  observables(
    @RelayCtx() context: RelayContext,
    @Body(ObservablesPipe) observables: Observable[],
  ): { data: ReferLink[] } {
    return { data: this.refer.refer(context, observables) };
  }
}
