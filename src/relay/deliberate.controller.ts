import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Observable } from '../common/observable.js';
import { ObservableDto } from './dto/observable.dto.js';
import { EmptyObjectDataDto } from './dto/responses.dto.js';
import { ObservablesPipe } from './observables.pipe.js';

/** Spec §2: Qualys IOC gives no verdicts, so deliberation answers nothing. */
@ApiTags('relay')
@ApiBearerAuth()
@Controller('deliberate')
export class DeliberateController {
  @Post('observables')
  @HttpCode(200)
  @ApiOperation({ summary: 'Verdicts (none from Qualys IOC)' })
  @ApiBody({ type: [ObservableDto] })
  @ApiOkResponse({ type: EmptyObjectDataDto })
  observables(@Body(ObservablesPipe) _observables: Observable[]): { data: Record<string, never> } {
    return { data: {} };
  }
}
