/**
 * Spec §5 `/observe/observables`: the entities found for one observable, with
 * the entity limit applied. This is the Ctim module's façade.
 */
import { Injectable } from '@nestjs/common';
import type { SupportedObservable } from '../common/observable.js';
import type { QualysEvent } from '../qualys/qualys-event.js';
import type {
  Indicator,
  Judgement,
  ObservationEntities,
  Relationship,
  Sighting,
} from './ctim.types.js';
import { isJsonObject } from './event-fields.js';
import { IndicatorMapper } from './indicator.mapper.js';
import { JudgementMapper } from './judgement.mapper.js';
import type { MappingContext } from './mapping-context.js';
import { RelationshipMapper } from './relationship.mapper.js';
import { SightingMapper } from './sighting.mapper.js';

@Injectable()
export class ObservationMapper {
  constructor(
    private readonly sightings: SightingMapper,
    private readonly indicators: IndicatorMapper,
    private readonly judgements: JudgementMapper,
    private readonly relationships: RelationshipMapper,
  ) {}

  /**
   * Maps the events of both searches for `observable`, reproducing the
   * original relay's sequential algorithm (spec §5): active events first, then
   * historical ones; per event, the sighting and the indicator are kept while
   * fewer than `limit` of their kind are kept, the judgements are cut to the
   * room left under `limit`, and the relationships link only what was kept
   * for that event. Relationships themselves are not limited.
   *
   * `limit` is expected to be a positive integer (the caller applies spec §5's
   * fallback to the default); any other value keeps nothing rather than
   * everything. Entries of the event lists that are not objects are skipped.
   */
  map(
    observable: SupportedObservable,
    activeEvents: readonly unknown[],
    historicalEvents: readonly unknown[],
    limit: number,
    now: Date,
  ): ObservationEntities {
    const out: ObservationEntities = {
      sightings: [],
      indicators: [],
      judgements: [],
      relationships: [],
    };
    const cap = Number.isInteger(limit) && limit > 0 ? limit : 0;
    const passes: readonly [boolean, readonly unknown[]][] = [
      [true, activeEvents],
      [false, historicalEvents],
    ];
    for (const [active, events] of passes) {
      const ctx: MappingContext = { observable, active, now };
      for (const event of events) {
        if (isJsonObject(event)) {
          this.mapEvent(event, ctx, cap, out);
        }
      }
    }
    return out;
  }

  /** One step of the sequential algorithm: appends what `event` contributes to `out`. */
  private mapEvent(
    event: QualysEvent,
    ctx: MappingContext,
    cap: number,
    out: ObservationEntities,
  ): void {
    const sightings: Sighting[] =
      out.sightings.length < cap ? [this.sightings.map(event, ctx)] : [];

    const indicator = out.indicators.length < cap ? this.indicators.map(event) : undefined;
    const indicators: Indicator[] = indicator === undefined ? [] : [indicator];

    const room = cap - out.judgements.length;
    const judgements: Judgement[] = room > 0 ? this.judgements.map(event, ctx).slice(0, room) : [];

    // Spec §5 order: judgement based-on indicator, sighting based-on judgement,
    // sighting sighting-of indicator.
    const relationships: Relationship[] = [
      ...this.relationships.relate(judgements, 'based-on', indicators),
      ...this.relationships.relate(sightings, 'based-on', judgements),
      ...this.relationships.relate(sightings, 'sighting-of', indicators),
    ];

    out.sightings.push(...sightings);
    out.indicators.push(...indicators);
    out.judgements.push(...judgements);
    out.relationships.push(...relationships);
  }
}
