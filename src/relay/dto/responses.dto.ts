import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ErrorCode } from '../../common/relay-error.js';

/**
 * Response shapes for the OpenAPI document. The CTIM entities themselves are
 * described loosely (`object`) with examples: their exact schema is CTIM's.
 */
export class ErrorItemDto {
  @ApiProperty({ enum: ['fatal', 'warning'], example: 'fatal' }) type!: string;
  @ApiProperty({
    enum: Object.values(ErrorCode),
    example: 'authorization error',
    description: 'Machine-readable error code',
  })
  code!: string;
  @ApiProperty({ example: 'Authorization failed: Authorization header is missing' })
  message!: string;
}

export class ErrorEnvelopeDto {
  @ApiProperty({ type: [ErrorItemDto] }) errors!: ErrorItemDto[];
}

class DocsDto {
  @ApiProperty({ example: 1 }) count!: number;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) docs!: object[];
}

export class ObserveDataDto {
  @ApiPropertyOptional({
    type: DocsDto,
    example: {
      count: 1,
      docs: [
        {
          type: 'sighting',
          id: 'transient:sighting-0d1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b',
          schema_version: '1.0.17',
          source: 'Qualys IOC',
          confidence: 'High',
          count: 1,
          sensor: 'endpoint',
          severity: 'High',
          observables: [
            {
              type: 'sha256',
              value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
            },
          ],
          observed_time: {
            start_time: '2024-05-14T09:12:44.000Z',
            end_time: '2024-05-14T09:12:44.000Z',
          },
          description:
            'A Qualys IOC event related to "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"',
          external_ids: ['evt-1'],
          external_references: [],
          targets: [
            {
              type: 'endpoint',
              os: 'Microsoft Windows 10 Pro',
              observables: [{ type: 'hostname', value: 'WS-0142' }],
              observed_time: {
                start_time: '2024-05-14T09:12:44.000Z',
                end_time: '2024-05-14T09:12:44.000Z',
              },
            },
          ],
          relations: [],
          data: { columns: [{ name: 'Active', type: 'string' }], rows: [['True']], row_count: 1 },
        },
      ],
    },
  })
  sightings?: DocsDto;
  @ApiPropertyOptional({ type: DocsDto }) indicators?: DocsDto;
  @ApiPropertyOptional({ type: DocsDto }) judgements?: DocsDto;
  @ApiPropertyOptional({ type: DocsDto }) relationships?: DocsDto;
  @ApiPropertyOptional({
    type: DocsDto,
    description: 'One verdict per MD5 or SHA-256 that Qualys judged, naming its judgement',
  })
  verdicts?: DocsDto;
}

export class ObserveResponseDto {
  @ApiPropertyOptional({ type: ObserveDataDto }) data?: ObserveDataDto;
  @ApiPropertyOptional({
    type: [ErrorItemDto],
    description: 'Present when some or all observables failed',
  })
  errors?: ErrorItemDto[];
}

export class DeliberateDataDto {
  @ApiPropertyOptional({
    type: DocsDto,
    description: 'One verdict per MD5 or SHA-256 that Qualys judged; left out when there is none',
  })
  verdicts?: DocsDto;
}

export class DeliberateResponseDto {
  @ApiPropertyOptional({ type: DeliberateDataDto }) data?: DeliberateDataDto;
  @ApiPropertyOptional({
    type: [ErrorItemDto],
    description: 'Present when some or all observables failed',
  })
  errors?: ErrorItemDto[];
}

export class ReferLinkDto {
  @ApiProperty({
    example:
      'ref-qualys-search-sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  })
  id!: string;
  @ApiProperty({ example: 'Search for this SHA256' }) title!: string;
  @ApiProperty({ example: 'Check this SHA256 status with Qualys' }) description!: string;
  @ApiProperty({
    example:
      'https://qualysguard.qg2.apps.qualys.com/ioc/#/hunting?search=file.hash.sha256%3A%20%22e3b0%22',
  })
  url!: string;
  @ApiProperty({ example: ['Search', 'Qualys'] }) categories!: string[];
}

export class ReferResponseDto {
  @ApiProperty({ type: [ReferLinkDto] }) data!: ReferLinkDto[];
}

export class EmptyListDataDto {
  @ApiProperty({ type: 'array', items: { type: 'object' }, example: [] }) data!: object[];
}

class StatusDto {
  @ApiProperty({ example: 'ok' }) status!: string;
}

export class HealthResponseDto {
  @ApiProperty({ type: StatusDto }) data!: StatusDto;
}

export class TriggerResponseDto {
  @ApiProperty({ type: StatusDto, example: { status: 'failure' } }) data!: StatusDto;
}

export class VersionResponseDto {
  @ApiProperty({ example: '1.0.0' }) version!: string;
}

export class WatchdogResponseDto {
  @ApiProperty({ example: 'ping' }) data!: string;
}
