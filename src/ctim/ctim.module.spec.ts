import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { fileEvent, NOW, SHA256_OBSERVABLE } from '../../test/support/ctim-events.js';
import { CtimModule } from './ctim.module.js';
import { ObservationMapper } from './observation.mapper.js';
import { SightingMapper } from './sighting.mapper.js';
import { VerdictMapper } from './verdict.mapper.js';

@Injectable()
class NeedsObservationMapper {
  constructor(readonly mapper: ObservationMapper) {}
}

@Injectable()
class NeedsVerdictMapper {
  constructor(readonly mapper: VerdictMapper) {}
}

@Injectable()
class NeedsSightingMapper {
  constructor(readonly mapper: SightingMapper) {}
}

@Module({ imports: [CtimModule], providers: [NeedsObservationMapper, NeedsVerdictMapper] })
class FacadeConsumerModule {}

@Module({ imports: [CtimModule], providers: [NeedsSightingMapper] })
class InternalsConsumerModule {}

describe('CtimModule', () => {
  it('gives an importing module the façade, wired with its mappers', async () => {
    const app = await Test.createTestingModule({ imports: [FacadeConsumerModule] }).compile();
    try {
      const { mapper } = app.get(NeedsObservationMapper);
      const out = mapper.map(SHA256_OBSERVABLE, [fileEvent()], [], 100, NOW);
      expect([
        out.sightings.length,
        out.indicators.length,
        out.judgements.length,
        out.relationships.length,
      ]).toEqual([1, 1, 1, 3]);
    } finally {
      await app.close();
    }
  });

  it('gives an importing module the verdict mapper', async () => {
    const app = await Test.createTestingModule({ imports: [FacadeConsumerModule] }).compile();
    try {
      const { mapper } = app.get(NeedsVerdictMapper);
      const answered = { events: [fileEvent()], fetchedAt: NOW.getTime() };
      const none = { events: [], fetchedAt: NOW.getTime() };
      const verdict = mapper.toVerdict(SHA256_OBSERVABLE, answered, none, 100, 3600);
      expect(verdict?.disposition_name).toBe('Malicious');
    } finally {
      await app.close();
    }
  });

  it('keeps the per-entity mappers private', async () => {
    const compiling = Test.createTestingModule({ imports: [InternalsConsumerModule] }).compile();
    await expect(compiling).rejects.toThrow(
      /Nest can't resolve dependencies of the NeedsSightingMapper \(\?\)/,
    );
  });
});
