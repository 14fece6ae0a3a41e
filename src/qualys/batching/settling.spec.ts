import { describe, expect, it } from '@jest/globals';
import type { QualysEvent } from '../qualys-event.js';
import type { ExactValue } from './attribution.js';
import { historicalSettles, judgeExactAnswer, judgeProbeAnswer } from './settling.js';

const hash = (n: number): string => n.toString(16).padStart(64, '0');
const batch: ExactValue[] = [1, 2, 3].map((n) => ({
  type: 'sha256',
  value: hash(n),
  normalised: hash(n),
}));
const of = (n: number): QualysEvent => ({ file: { sha256: hash(n) } });
const active = { active: true, pageSize: 6, limit: 2 };
const historical = { ...active, active: false };
const none = { unmatched: 0, unmatchedType: undefined };

describe('settling (spec §12)', () => {
  it('settles every observable of an empty answer', () => {
    expect(judgeExactAnswer({ events: [] }, batch, historical)).toEqual({
      verdicts: [{ settle: [] }, { settle: [] }, { settle: [] }],
      ...none,
    });
  });

  it('settles, from a complete active answer, the observables with a ≤ L', () => {
    const events = [of(1), of(2), of(2), of(2)];
    expect(judgeExactAnswer({ events }, batch, active)).toEqual({
      verdicts: [{ settle: [0] }, 'alone', { settle: [] }],
      ...none,
    });
  });

  it('holds, from a complete historical answer, the events until a is known', () => {
    const events = [of(1), of(2), of(2), of(2)];
    expect(judgeExactAnswer({ events }, batch, historical)).toEqual({
      verdicts: [{ pending: [0] }, { pending: [1, 2, 3] }, { settle: [] }],
      ...none,
    });
  });

  it('settles historical events when a ≥ L or a + h ≤ L', () => {
    expect(historicalSettles(2, 5, 2)).toBe(true);
    expect(historicalSettles(0, 2, 2)).toBe(true);
    expect(historicalSettles(1, 1, 2)).toBe(true);
    expect(historicalSettles(1, 2, 2)).toBe(false);
    expect(historicalSettles(0, 3, 2)).toBe(false);
  });

  it('does not settle an observable whose value an unmatching event carries', () => {
    const events = [{ file: { sha256: hash(1) }, indicator2: [{ sha256: hash(3).toUpperCase() }] }];
    expect(judgeExactAnswer({ events }, batch, active).verdicts).toEqual([
      { settle: [0] },
      { settle: [] },
      'alone',
    ]);
  });

  it('sends each observable alone from an answer with an event that matches none', () => {
    const events = [of(1), { type: 'FILE', indicator2: [{ sha256: hash(1) }] }];
    expect(judgeExactAnswer({ events }, batch, active)).toEqual({
      verdicts: ['alone', 'alone', 'alone'],
      unmatched: 1,
      unmatchedType: 'FILE',
    });
  });

  it('sends, from a full answer, the observables with ≥ L events alone and re-batches the rest', () => {
    const events = [of(1), of(1), of(2), of(1), of(3), of(2)];
    expect(judgeExactAnswer({ events }, batch, { ...active, limit: 3 }).verdicts).toEqual([
      'alone',
      'rebatch',
      'rebatch',
    ]);
  });

  it('splits a full answer in halves when no observable goes alone, or when it was too large', () => {
    const events = [of(1), of(2), of(3), of(1), of(2), of(3)];
    expect(judgeExactAnswer({ events }, batch, { ...active, limit: 3 }).verdicts).toBe('halves');
    expect(judgeExactAnswer('too-large', batch, active)).toEqual({ verdicts: 'halves', ...none });
  });

  it('settles an empty probe, splits a non-empty one of more than 8, else sends each alone', () => {
    expect(judgeProbeAnswer({ events: [] }, 3).verdicts).toEqual([
      { settle: [] },
      { settle: [] },
      { settle: [] },
    ]);
    expect(judgeProbeAnswer({ events: [of(1)] }, 9).verdicts).toBe('halves');
    expect(judgeProbeAnswer('too-large', 9).verdicts).toBe('halves');
    expect(judgeProbeAnswer({ events: [of(1)] }, 8).verdicts).toEqual(Array(8).fill('alone'));
  });
});
