/**
 * The lookup tables of spec §5 as data, plus the few functions that read them.
 * Everything here is pure and total: unknown input maps to the spec's
 * "unknown" row instead of throwing (spec §7: missing data never crashes a
 * mapping).
 */
import type { Disposition, DispositionName, Severity } from './ctim.types.js';

/** One row of the spec §5 "Score → severity, and indicator title" table. */
export interface ScoreRow {
  readonly title: string;
  readonly severity: Severity;
}

/** Spec §5 score table, indexed by the integer score 0–10. */
const SCORE_TABLE: ReadonlyMap<number, ScoreRow> = new Map<number, ScoreRow>([
  [0, { title: 'Known Good', severity: 'None' }],
  [1, { title: 'Remediated', severity: 'High' }],
  [2, { title: 'Suspicious Low File event', severity: 'Low' }],
  [3, { title: 'Suspicious Low Process event', severity: 'Low' }],
  [4, { title: 'Suspicious Low Network event', severity: 'Low' }],
  [5, { title: 'Suspicious Medium File event', severity: 'Medium' }],
  [6, { title: 'Suspicious Medium Process event', severity: 'Medium' }],
  [7, { title: 'Suspicious Medium Network event', severity: 'Medium' }],
  [8, { title: 'Malicious File event', severity: 'High' }],
  [9, { title: 'Malicious Process event', severity: 'High' }],
  [10, { title: 'Malicious Network event', severity: 'High' }],
]);

/** Spec §5: "A missing or unknown score gives severity `Unknown`." */
export const UNKNOWN_SEVERITY: Severity = 'Unknown';

/** A score written the way Qualys writes it: `0`–`10`, no sign, no leading zero. */
const SCORE_TEXT = /^(?:[0-9]|10)$/;

/**
 * Reads a Qualys score (spec §7: "a string "0"–"10" or absent", and numbers in
 * `indicator2[].score`). Accepts `"8"`, `8` and `" 8 "`; anything that is not
 * an integer 0–10 (`"08"`, `"8.5"`, `11`, `true`, `null` …) is `undefined`,
 * i.e. "unknown score".
 */
export function normaliseScore(raw: unknown): number | undefined {
  if (typeof raw === 'number') {
    // Math.abs only turns -0 into 0; every other accepted value is already ≥ 0.
    return Number.isInteger(raw) && raw >= 0 && raw <= 10 ? Math.abs(raw) : undefined;
  }
  if (typeof raw === 'string') {
    const text = raw.trim();
    return SCORE_TEXT.test(text) ? Number(text) : undefined;
  }
  return undefined;
}

/** Spec §5: severity of a normalised score; `Unknown` when there is none. */
export function severityOfScore(score: number | undefined): Severity {
  return (score === undefined ? undefined : SCORE_TABLE.get(score)?.severity) ?? UNKNOWN_SEVERITY;
}

/** Spec §5: indicator title of a normalised score; `undefined` when unknown. */
export function indicatorTitleOfScore(score: number | undefined): string | undefined {
  return score === undefined ? undefined : SCORE_TABLE.get(score)?.title;
}

export interface DispositionPair {
  readonly disposition: Disposition;
  readonly disposition_name: DispositionName;
}

/** Spec §5 verdict table. Matching is exact, as in the original relay. */
export const VERDICT_TABLE: ReadonlyMap<string, DispositionPair> = new Map<string, DispositionPair>(
  [
    ['KNOWN', { disposition: 1, disposition_name: 'Clean' }],
    ['MALICIOUS', { disposition: 2, disposition_name: 'Malicious' }],
    ['REMEDIATED', { disposition: 2, disposition_name: 'Malicious' }],
    ['SUSPICIOUS', { disposition: 3, disposition_name: 'Suspicious' }],
    ['UNKNOWN', { disposition: 5, disposition_name: 'Unknown' }],
  ],
);

/** Spec §5: "UNKNOWN, missing, anything else" → 5 Unknown. */
export const UNKNOWN_DISPOSITION: DispositionPair = { disposition: 5, disposition_name: 'Unknown' };

/** Spec §5: disposition of an `indicator2[].verdict`; never throws. */
export function dispositionOfVerdict(verdict: unknown): DispositionPair {
  const pair = typeof verdict === 'string' ? VERDICT_TABLE.get(verdict) : undefined;
  // A fresh object each time, so a caller can never mutate the shared table.
  const { disposition, disposition_name } = pair ?? UNKNOWN_DISPOSITION;
  return { disposition, disposition_name };
}
