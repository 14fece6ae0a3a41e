/**
 * Spec §5 "Indicator (one per event that has a score)".
 */
import { Injectable } from '@nestjs/common';
import type { QualysEvent } from '../qualys/qualys-event.js';
import { CTIM_SCHEMA_VERSION, CTIM_SOURCE, type Indicator } from './ctim.types.js';
import { truncateShort } from './ctim-strings.js';
import { readField, readString } from './event-fields.js';
import { indicatorTitleOfScore, normaliseScore, severityOfScore } from './tables.js';
import { deterministicTransientId, randomTransientId } from './transient-id.js';

/**
 * Whether the event carries a score at all. As in the original relay, a
 * present but unknown score ("11", "abc") still yields an indicator — with
 * severity `Unknown` and no title — while a missing, `null` or blank one
 * yields none.
 */
function hasScore(event: QualysEvent): boolean {
  const score = readField(event, 'score');
  return (
    score !== undefined && score !== null && !(typeof score === 'string' && score.trim() === '')
  );
}

@Injectable()
export class IndicatorMapper {
  /** The event's indicator, or `undefined` when the event has no score (spec §5). */
  map(event: QualysEvent): Indicator | undefined {
    if (!hasScore(event)) {
      return undefined;
    }
    const eventId = readString(event, 'id');
    const score = normaliseScore(readField(event, 'score'));
    const indicator: Indicator = {
      // Spec §5: uuid v5 of the event id, so the same event always gives the
      // same indicator. Without an id there is nothing stable to seed it with.
      id:
        eventId === undefined
          ? randomTransientId('indicator')
          : deterministicTransientId('indicator', eventId),
      type: 'indicator',
      schema_version: CTIM_SCHEMA_VERSION,
      source: CTIM_SOURCE,
      producer: CTIM_SOURCE,
      confidence: 'High',
      severity: severityOfScore(score),
      valid_time: {},
      external_ids: eventId === undefined ? [] : [eventId],
    };
    const title = indicatorTitleOfScore(score);
    if (title !== undefined) {
      indicator.title = truncateShort(title);
    }
    return indicator;
  }
}
