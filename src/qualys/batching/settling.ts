import type { QualysEvent } from '../qualys-event.js';
import { attribute, type ExactValue } from './attribution.js';

/** Spec §12: a non-empty probe of more observables than this is split in halves. */
export const MAX_PROBE_SEARCHED_ALONE = 8;

/** What one answer decides for one observable of its batch, in the answer's state. */
export type Verdict =
  /** Settled: these events of the answer (indexes, in answer order) are its events. */
  | { settle: number[] }
  /**
   * A complete historical answer matched these events: settled once the
   * observable's active events are known, if a ≥ L or a + h ≤ L.
   */
  | { pending: number[] }
  | 'alone'
  | 'rebatch';

/** What one answer decides for its batch: a verdict per observable, or a split in halves. */
export interface Judgement {
  verdicts: Verdict[] | 'halves';
  /** Events matching no observable (for the hourly log), and the type of the first one. */
  unmatched: number;
  unmatchedType: string | undefined;
}

/** An answer as the judgement sees it: its events, or too large to read (which counts as full). */
export type JudgedAnswer = { events: readonly QualysEvent[] } | 'too-large';

/**
 * Spec §12 "Settling" and "What is left", for an exact batch of more than one
 * observable: an empty answer settles them all; a complete one (fewer events
 * than its page size, each matching an observable) settles those whose value
 * no unmatching event carries — active ones with a ≤ L, historical ones once
 * a is known; a full one sends those with ≥ L events alone and re-batches
 * the rest (in halves when that is all of them, so every answer makes
 * progress); an incomplete one with an unmatched event sends each alone.
 */
export function judgeExactAnswer(
  answer: JudgedAnswer,
  batch: readonly ExactValue[],
  options: { active: boolean; pageSize: number; limit: number },
): Judgement {
  if (answer === 'too-large') return { verdicts: 'halves', unmatched: 0, unmatchedType: undefined };
  const { events } = answer;
  if (events.length === 0) {
    return { verdicts: batch.map(() => ({ settle: [] })), unmatched: 0, unmatchedType: undefined };
  }
  const { matched, carried, unmatched, unmatchedType } = attribute(events, batch);
  const found = { unmatched, unmatchedType };
  if (unmatched > 0) return { verdicts: batch.map(() => 'alone'), ...found };
  if (events.length >= options.pageSize) {
    const verdicts = matched.map((mine): Verdict =>
      mine.length >= options.limit ? 'alone' : 'rebatch',
    );
    return { verdicts: verdicts.includes('alone') ? verdicts : 'halves', ...found };
  }
  const verdicts = matched.map((mine, position): Verdict => {
    if (carried[position]) return 'alone';
    if (!options.active) return mine.length === 0 ? { settle: [] } : { pending: mine };
    return mine.length <= options.limit ? { settle: mine } : 'alone';
  });
  return { verdicts, ...found };
}

/** Spec §12: a probe (a contains batch, page size 1) settles its observables only when empty. */
export function judgeProbeAnswer(answer: JudgedAnswer, observables: number): Judgement {
  const empty = answer !== 'too-large' && answer.events.length === 0;
  const none = { unmatched: 0, unmatchedType: undefined };
  if (empty)
    return { verdicts: Array.from({ length: observables }, () => ({ settle: [] })), ...none };
  if (observables > MAX_PROBE_SEARCHED_ALONE) return { verdicts: 'halves', ...none };
  return { verdicts: Array.from({ length: observables }, (): Verdict => 'alone'), ...none };
}

/**
 * Spec §12: a complete historical answer settles an observable with `a`
 * active events when a ≥ L (its historical events cannot appear) or
 * a + h ≤ L (all of them appear).
 */
export function historicalSettles(active: number, historical: number, limit: number): boolean {
  return active >= limit || active + historical <= limit;
}
