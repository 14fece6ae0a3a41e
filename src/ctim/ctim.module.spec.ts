import { describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { fileEvent, NOW, SHA256_OBSERVABLE } from '../../test/support/ctim-events.js';
import { CtimModule } from './ctim.module.js';
import { IndicatorMapper } from './indicator.mapper.js';
import { JudgementMapper } from './judgement.mapper.js';
import { ObservationMapper } from './observation.mapper.js';
import { RelationshipMapper } from './relationship.mapper.js';
import { SightingMapper } from './sighting.mapper.js';

describe('CtimModule', () => {
  it('wires the façade with its mappers and exports all of them', async () => {
    const app = await Test.createTestingModule({ imports: [CtimModule] }).compile();
    try {
      const observation = app.get(ObservationMapper);
      const out = observation.map(SHA256_OBSERVABLE, [fileEvent()], [], 100, NOW);
      expect([
        out.sightings.length,
        out.indicators.length,
        out.judgements.length,
        out.relationships.length,
      ]).toEqual([1, 1, 1, 3]);
      const mappers = [SightingMapper, IndicatorMapper, JudgementMapper, RelationshipMapper];
      expect(mappers.map((type) => app.get(type) instanceof type)).toEqual([
        true,
        true,
        true,
        true,
      ]);
    } finally {
      await app.close();
    }
  });
});
