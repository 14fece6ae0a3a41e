import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiTooManyRequestsResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { TOO_MANY_REQUESTS_EXAMPLE, type ApiExamples } from './api-examples.js';
import { ErrorEnvelopeDto } from './responses.dto.js';

/**
 * A relay route's HTTP 200: its answer or the spec §7 error envelope (relay
 * errors are HTTP 200 because Threat Response reads the envelope), with named
 * examples of both.
 */
export function ApiRelayOkResponse(
  type: Type<unknown>,
  examples: ApiExamples,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(type, ErrorEnvelopeDto),
    ApiOkResponse({
      description:
        'The answer, or the relay error envelope: relay errors are HTTP 200, ' +
        'because Threat Response reads the envelope, not the status',
      content: {
        'application/json': {
          schema: {
            oneOf: [{ $ref: getSchemaPath(type) }, { $ref: getSchemaPath(ErrorEnvelopeDto) }],
          },
          examples,
        },
      },
    }),
  );
}

/** The operator's optional per-client limit (`RATE_LIMIT_PER_MINUTE`). */
export function ApiRelayRateLimitResponse(): MethodDecorator & ClassDecorator {
  return ApiTooManyRequestsResponse({
    description:
      'Per-client rate limit exceeded (only when the operator sets RATE_LIMIT_PER_MINUTE)',
    type: ErrorEnvelopeDto,
    example: TOO_MANY_REQUESTS_EXAMPLE,
  });
}
