import { Module } from '@nestjs/common';
import { IndicatorMapper } from './indicator.mapper.js';
import { JudgementMapper } from './judgement.mapper.js';
import { ObservationMapper } from './observation.mapper.js';
import { RelationshipMapper } from './relationship.mapper.js';
import { SightingMapper } from './sighting.mapper.js';

const MAPPERS = [
  ObservationMapper,
  SightingMapper,
  IndicatorMapper,
  JudgementMapper,
  RelationshipMapper,
];

/**
 * Qualys events → CTIM entities (spec §5). `ObservationMapper` is the façade
 * the relay uses; the per-entity mappers are exported too, for callers that
 * need a single entity type.
 */
@Module({
  providers: MAPPERS,
  exports: MAPPERS,
})
export class CtimModule {}
