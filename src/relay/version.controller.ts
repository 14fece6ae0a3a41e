import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator.js';
import { RELAY_VERSION } from '../common/version.js';
import { VersionResponseDto } from './dto/responses.dto.js';
import { ApiRelayRateLimitResponse } from './dto/api-responses.decorator.js';

@ApiTags('relay')
@ApiRelayRateLimitResponse()
@Controller('version')
export class VersionController {
  @Public()
  @Post()
  @HttpCode(200)
  @ApiOperation({ operationId: 'getVersion', summary: 'The relay version (no authentication)' })
  @ApiOkResponse({ type: VersionResponseDto })
  version(): { version: string } {
    return { version: RELAY_VERSION };
  }
}
