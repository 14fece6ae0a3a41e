/**
 * The pooled UUID v4 generator behind random transient ids (issue #6: it
 * replaced crypto.randomUUID() to cut the mapper's garbage). Ids must stay
 * RFC 4122 version 4, lowercase, and distinct — also across refills of the
 * entropy pool (512 ids per refill).
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomTransientId, randomUuidV4, type TransientEntity } from './transient-id.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('randomUuidV4', () => {
  it('gives 5,000 distinct version 4 UUIDs across ten entropy refills', () => {
    const ids = Array.from({ length: 5000 }, () => randomUuidV4());
    expect(ids.filter((id) => !UUID_V4.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every hex digit in every random position (no stuck nibble)', () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) [...randomUuidV4()].forEach((char, at) => seen[at].add(char));
    const sizes = seen.map((chars) => chars.size);
    // Dashes and the version digit are fixed; the variant digit has 4 values.
    const expected = [...'xxxxxxxx-xxxx-4xxx-vxxx-xxxxxxxxxxxx'].map((c) =>
      c === 'x' ? 16 : c === 'v' ? 4 : 1,
    );
    expect(sizes).toEqual(expected);
  });

  it('returns flat, independent strings (the shared text buffer is copied)', () => {
    const first = randomUuidV4();
    const copy = `${first}`;
    randomUuidV4();
    expect(first).toBe(copy);
  });
});

describe('randomTransientId', () => {
  it('is transient:<entity>-<uuid v4> for every entity type', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<TransientEntity>('sighting', 'indicator', 'judgement', 'relationship'),
        (entity) => {
          const id = randomTransientId(entity);
          expect(id.startsWith(`transient:${entity}-`)).toBe(true);
          expect(id.slice(`transient:${entity}-`.length)).toMatch(UUID_V4);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });
});
