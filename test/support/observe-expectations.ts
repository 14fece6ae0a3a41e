import { expect } from '@jest/globals';

/** Spec §5 transient ids: `transient:<entity>-<uuid>`. */
export const transientId = (entity: string): unknown =>
  expect.stringMatching(
    new RegExp(
      `^transient:${entity}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`,
    ),
  );

interface Ref {
  id: string;
}

export interface RelationshipLike {
  source_ref: string;
  target_ref: string;
  relationship_type: string;
}

/**
 * The relationships spec §5 requires for one event's kept entities, as
 * `[source, type, target]` triples: judgements based-on the indicator, the
 * sighting based-on each judgement, the sighting sighting-of the indicator.
 */
export function expectedLinks(sighting: Ref, indicators: Ref[], judgements: Ref[]): string[][] {
  return [
    ...judgements.flatMap((j) => indicators.map((i) => [j.id, 'based-on', i.id])),
    ...judgements.map((j) => [sighting.id, 'based-on', j.id]),
    ...indicators.map((i) => [sighting.id, 'sighting-of', i.id]),
  ];
}

export function linksOf(relationships: RelationshipLike[]): string[][] {
  return relationships.map((r) => [r.source_ref, r.relationship_type, r.target_ref]);
}
