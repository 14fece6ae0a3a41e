import { Controller, Get, Headers } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator.js';
import { ErrorCode, RelayError } from '../common/relay-error.js';
import { WatchdogResponseDto } from './dto/responses.dto.js';
import { WATCHDOG_EXAMPLES } from './dto/api-examples.js';
import { ApiRelayOkResponse, ApiRelayRateLimitResponse } from './dto/api-responses.decorator.js';

/** Spec §2: the hosting platform's liveness echo. */
@ApiTags('relay')
@ApiRelayRateLimitResponse()
@Controller('watchdog')
export class WatchdogController {
  @Public()
  @Get()
  @ApiOperation({
    operationId: 'watchdog',
    summary: 'Echoes the Health-Check header (no authentication)',
  })
  @ApiHeader({ name: 'Health-Check', required: true })
  @ApiRelayOkResponse(WatchdogResponseDto, WATCHDOG_EXAMPLES)
  watchdog(@Headers('health-check') value: string | undefined): { data: string } {
    if (value === undefined) {
      throw new RelayError(
        ErrorCode.HEALTH_CHECK_FAILED,
        'Invalid Health-Check request: the Health-Check header is missing',
      );
    }
    return { data: value };
  }
}
