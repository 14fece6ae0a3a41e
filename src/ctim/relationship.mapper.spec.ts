import { describe, expect, it } from '@jest/globals';
import { randomTransientIdOf } from '../../test/support/ctim-matchers.js';
import { expectValidCtim } from '../../tools/lib/ctim-validator.js';
import { RelationshipMapper } from './relationship.mapper.js';

const mapper = new RelationshipMapper();
const RELATIONSHIP_ID = randomTransientIdOf('relationship');

const relationship = (source_ref: string, relationship_type: string, target_ref: string) => ({
  id: RELATIONSHIP_ID,
  type: 'relationship',
  schema_version: '1.0.17',
  source: 'Qualys IOC',
  source_ref,
  target_ref,
  relationship_type,
  external_ids: [],
});

describe('RelationshipMapper', () => {
  it('relates every source to every target, sources outer, targets inner', () => {
    const relationships = mapper.relate(
      [{ id: 'transient:sighting-1' }, { id: 'transient:sighting-2' }],
      'based-on',
      [{ id: 'transient:judgement-1' }, { id: 'transient:judgement-2' }],
    );
    expectValidCtim(relationships);
    expect(relationships).toEqual([
      relationship('transient:sighting-1', 'based-on', 'transient:judgement-1'),
      relationship('transient:sighting-1', 'based-on', 'transient:judgement-2'),
      relationship('transient:sighting-2', 'based-on', 'transient:judgement-1'),
      relationship('transient:sighting-2', 'based-on', 'transient:judgement-2'),
    ]);
    expect(new Set(relationships.map((r) => r.id)).size).toBe(4);
  });

  it('relates a sighting to its indicator with sighting-of, without source_uri', () => {
    const [only, ...rest] = mapper.relate([{ id: 'transient:sighting-1' }], 'sighting-of', [
      { id: 'transient:indicator-1' },
    ]);
    expectValidCtim(only);
    expect([only, rest]).toEqual([
      relationship('transient:sighting-1', 'sighting-of', 'transient:indicator-1'),
      [],
    ]);
    expect(only !== undefined && 'source_uri' in only).toBe(false);
  });

  it('relates nothing when either side is empty', () => {
    const one = [{ id: 'transient:x-1' }];
    expect([mapper.relate([], 'based-on', one), mapper.relate(one, 'based-on', [])]).toEqual([
      [],
      [],
    ]);
  });
});
