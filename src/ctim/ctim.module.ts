import { Module } from '@nestjs/common';
import { IndicatorMapper } from './indicator.mapper.js';
import { JudgementMapper } from './judgement.mapper.js';
import { ObservationMapper } from './observation.mapper.js';
import { RelationshipMapper } from './relationship.mapper.js';
import { SightingMapper } from './sighting.mapper.js';

/**
 * Qualys events → CTIM entities (spec §5). Exports the façade the relay uses,
 * `ObservationMapper`; the per-entity mappers behind it stay private.
 */
@Module({
  providers: [
    ObservationMapper,
    SightingMapper,
    IndicatorMapper,
    JudgementMapper,
    RelationshipMapper,
  ],
  exports: [ObservationMapper],
})
export class CtimModule {}
