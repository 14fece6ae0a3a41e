/**
 * Spec §5 "Judgement (one per entry of `event.indicator2`)".
 */
import { Injectable } from '@nestjs/common';
import type { QualysEvent } from '../qualys/qualys-event.js';
import { copyObservable } from './ctim-observable.js';
import { truncateShort } from './ctim-strings.js';
import { CTIM_SCHEMA_VERSION, CTIM_SOURCE, type Judgement } from './ctim.types.js';
import { readField, readObjectList, readString } from './event-fields.js';
import type { MappingContext } from './mapping-context.js';
import { dispositionOfVerdict, normaliseScore, severityOfScore } from './tables.js';
import { randomTransientId } from './transient-id.js';

/** Spec §5; ctim.md: "machines ≤ 90". */
const MACHINE_PRIORITY = 90;

@Injectable()
export class JudgementMapper {
  /**
   * One judgement per object in `event.indicator2`, in order; entries that are
   * not objects, and an `indicator2` that is missing or not an array, give none.
   */
  map(event: QualysEvent, ctx: MappingContext): Judgement[] {
    const eventId = readString(event, 'id');
    // Spec §5: severity comes from the EVENT score, not from indicator2[].score.
    const severity = severityOfScore(normaliseScore(readField(event, 'score')));
    return readObjectList(event, 'indicator2').map((entry) => {
      const { disposition, disposition_name } = dispositionOfVerdict(entry.verdict);
      return {
        id: randomTransientId('judgement'),
        type: 'judgement',
        schema_version: CTIM_SCHEMA_VERSION,
        source: CTIM_SOURCE,
        confidence: 'High',
        priority: MACHINE_PRIORITY,
        observable: copyObservable(ctx.observable),
        severity,
        disposition,
        disposition_name,
        // Spec §5: "empty string when absent".
        reason: truncateShort(readString(entry, 'threatName') ?? ''),
        valid_time: {},
        external_ids: eventId === undefined ? [] : [eventId],
        external_references: [],
      };
    });
  }
}
