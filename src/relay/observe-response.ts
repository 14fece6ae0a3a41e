import type { RelayErrorItem, RelayWarningItem } from '../common/relay-error.js';
import type { ObservationEntities, Verdict } from '../ctim/ctim.types.js';

export interface Docs<T> {
  count: number;
  docs: T[];
}

/** Spec §5: a key appears only when its list is non-empty; spec §13 adds `verdicts`. */
export type ObserveData = {
  [K in keyof ObservationEntities]?: Docs<ObservationEntities[K][number]>;
} & { verdicts?: Docs<Verdict> };

export interface ObserveResponse {
  data?: ObserveData;
  errors?: (RelayErrorItem | RelayWarningItem)[];
}

/**
 * Builds the `/observe/observables` answer from per-observable results:
 * entities and verdicts in request order, errors deduplicated, `data` left
 * out when the request failed and found nothing (spec §7: `data` accompanies
 * errors only when some observables succeeded). Warnings come after every
 * fatal error (spec §15). `/deliberate/observables` answers the same way with
 * verdicts only (spec §13).
 */
export function buildObserveResponse(
  results: readonly ObservationEntities[],
  errors: readonly RelayErrorItem[],
  extras: { verdicts?: readonly Verdict[]; warnings?: readonly RelayWarningItem[] } = {},
): ObserveResponse {
  const data: Record<string, Docs<unknown>> = {};
  const keys = ['sightings', 'indicators', 'judgements', 'relationships'] as const;
  for (const key of keys) {
    const all: { id: string }[] = results.flatMap((result): { id: string }[] => result[key]);
    // Indicator ids are deterministic per Qualys event (spec §5), and one event
    // often matches several observables of a request (the MD5 and the SHA-256
    // of one file): keep each indicator once, so no id appears twice in a body.
    const docs = key === 'indicators' ? uniqueById(all) : all;
    if (docs.length > 0) data[key] = { count: docs.length, docs };
  }
  const { verdicts = [], warnings = [] } = extras;
  if (verdicts.length > 0) data.verdicts = { count: verdicts.length, docs: [...verdicts] };
  if (errors.length === 0 && warnings.length === 0) return { data: data };

  const unique = new Map<string, RelayErrorItem>();
  for (const error of errors) unique.set(`${error.code}\0${error.message}`, error);
  const response: ObserveResponse = { errors: [...unique.values(), ...warnings] };
  if (Object.keys(data).length > 0) response.data = data;
  return response;
}

function uniqueById<T extends { id: string }>(docs: readonly T[]): T[] {
  const seen = new Set<string>();
  return docs.filter((doc) => {
    if (seen.has(doc.id)) return false;
    seen.add(doc.id);
    return true;
  });
}
