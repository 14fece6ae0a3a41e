import { Module } from '@nestjs/common';
import { IndicatorMapper } from './indicator.mapper.js';
import { JudgementMapper } from './judgement.mapper.js';
import { ObservationMapper } from './observation.mapper.js';
import { RelationshipMapper } from './relationship.mapper.js';
import { SightingMapper } from './sighting.mapper.js';
import { VerdictMapper } from './verdict.mapper.js';

/**
 * Qualys events → CTIM entities (spec §5) and verdicts (spec §13). Exports
 * what the relay uses, `ObservationMapper` and `VerdictMapper`; the
 * per-entity mappers behind the first stay private.
 */
@Module({
  providers: [
    ObservationMapper,
    SightingMapper,
    IndicatorMapper,
    JudgementMapper,
    RelationshipMapper,
    VerdictMapper,
  ],
  exports: [ObservationMapper, VerdictMapper],
})
export class CtimModule {}
