import { describe, expect, it } from '@jest/globals';
import type { ObservationEntities } from '../ctim/ctim.types.js';
import { buildObserveResponse } from './observe-response.js';

const empty: ObservationEntities = {
  sightings: [],
  indicators: [],
  judgements: [],
  relationships: [],
};
const withSighting = { ...empty, sightings: [{ id: 's1' }] } as unknown as ObservationEntities;
const timeout = { type: 'fatal', code: 'connection error', message: 'Unable to connect' } as const;

describe('buildObserveResponse (spec §5, §7)', () => {
  it('answers {data:{}} when nothing was found', () => {
    expect(buildObserveResponse([empty, empty], [])).toEqual({ data: {} });
  });

  it('lists only non-empty entity kinds, in request order, with counts', () => {
    const other = { ...empty, sightings: [{ id: 's2' }] } as unknown as ObservationEntities;
    expect(buildObserveResponse([withSighting, other], [])).toEqual({
      data: { sightings: { count: 2, docs: [{ id: 's1' }, { id: 's2' }] } },
    });
  });

  it('answers data and deduplicated errors on partial failure', () => {
    expect(buildObserveResponse([withSighting], [timeout, timeout])).toEqual({
      data: { sightings: { count: 1, docs: [{ id: 's1' }] } },
      errors: [timeout],
    });
  });

  it('answers only errors when nothing succeeded', () => {
    expect(buildObserveResponse([], [timeout])).toEqual({ errors: [timeout] });
  });
});
