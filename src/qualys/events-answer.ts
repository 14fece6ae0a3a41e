import { parseJsonArray, type JsonArrayProblem } from '../common/json-array.js';
import type { SearchAnswer } from './limits/qualys-limits.js';
import { unexpectedResponse } from './qualys-errors.js';
import type { QualysEvent } from './qualys-event.js';
import type { SearchResult } from './search-options.js';

/**
 * Room a search claims of the memory budget before its call is sent (spec
 * §15), per event of its page: about what a full page of real events
 * weighs. What the answer really weighs is charged once it is read.
 */
const EXPECTED_EVENT_BYTES = 2048;
const MIN_EXPECTED_ANSWER_BYTES = 16 * 1024;

const MALFORMED_ANSWER: Record<JsonArrayProblem, string> = {
  invalid: 'the events answer is not valid JSON',
  'not-array': 'the events answer is not a JSON array',
  'too-many-elements': 'the events answer holds more events than the page size asked for',
  'too-complex': 'the events answer is nested too deeply or too densely',
};

/** Spec §15: more events than `pageSize` is malformed, and parsing stops there (json-array.ts). */
export function parseEventsArray(body: string, pageSize: number): unknown[] {
  const parsed = parseJsonArray(body, pageSize);
  if (!parsed.ok) throw unexpectedResponse(MALFORMED_ANSWER[parsed.problem]);
  return parsed.elements;
}

/** The events that are JSON objects; anything else in the array is no event. */
export function onlyObjects(events: readonly unknown[]): QualysEvent[] {
  return events.filter(
    (event): event is QualysEvent =>
      typeof event === 'object' && event !== null && !Array.isArray(event),
  );
}

/** What the client answers for a search: its events, the answer's size and when Qualys sent it. */
export function resultOf(answer: SearchAnswer): SearchResult {
  const events = onlyObjects(answer.events);
  return { events, bytes: answer.eventsJson.length, fetchedAt: answer.fetchedAt };
}

/** Room a search claims before its call, never more than the largest answer read. */
export function expectedAnswerBytes(pageSize: number, maxAnswerBytes: number): number {
  return Math.min(
    maxAnswerBytes,
    Math.max(MIN_EXPECTED_ANSWER_BYTES, pageSize * EXPECTED_EVENT_BYTES),
  );
}
