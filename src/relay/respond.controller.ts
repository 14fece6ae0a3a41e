import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Observable } from '../common/observable.js';
import { ObservableDto } from './dto/observable.dto.js';
import { EmptyListDataDto, TriggerResponseDto } from './dto/responses.dto.js';
import { ObservablesPipe } from './observables.pipe.js';

/** Spec §2: the relay offers no response actions. */
@ApiTags('relay')
@ApiBearerAuth()
@Controller('respond')
export class RespondController {
  @Post('observables')
  @HttpCode(200)
  @ApiOperation({ summary: 'Response actions (none offered)' })
  @ApiBody({ type: [ObservableDto] })
  @ApiOkResponse({ type: EmptyListDataDto })
  observables(@Body(ObservablesPipe) _observables: Observable[]): { data: never[] } {
    return { data: [] };
  }

  @Post('trigger')
  @HttpCode(200)
  @ApiOperation({ summary: 'Trigger a response action (always fails: none offered)' })
  @ApiOkResponse({ type: TriggerResponseDto })
  trigger(): { data: { status: 'failure' } } {
    return { data: { status: 'failure' } };
  }
}
