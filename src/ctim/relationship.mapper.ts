/**
 * Spec §5 "Relationships".
 */
import { Injectable } from '@nestjs/common';
import {
  CTIM_SCHEMA_VERSION,
  CTIM_SOURCE,
  type Relationship,
  type RelationshipType,
} from './ctim.types.js';
import { randomTransientId } from './transient-id.js';

/** Anything with a CTIM id: a sighting, an indicator, a judgement. */
export interface Identified {
  readonly id: string;
}

@Injectable()
export class RelationshipMapper {
  /**
   * One relationship per (source, target) pair, sources outer, targets inner.
   * No `source_uri`: CTIM wants a non-empty URI, and the relay has none (spec §5).
   */
  relate(
    sources: readonly Identified[],
    type: RelationshipType,
    targets: readonly Identified[],
  ): Relationship[] {
    return sources.flatMap((source) =>
      targets.map((target): Relationship => ({
        id: randomTransientId('relationship'),
        type: 'relationship',
        schema_version: CTIM_SCHEMA_VERSION,
        source: CTIM_SOURCE,
        source_ref: source.id,
        target_ref: target.id,
        relationship_type: type,
        external_ids: [],
      })),
    );
  }
}
