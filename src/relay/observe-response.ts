import type { RelayErrorItem } from '../common/relay-error.js';
import type { ObservationEntities } from '../ctim/ctim.types.js';

export interface Docs<T> {
  count: number;
  docs: T[];
}

/** Spec §5: a key appears only when its list is non-empty. */
export type ObserveData = {
  [K in keyof ObservationEntities]?: Docs<ObservationEntities[K][number]>;
};

export interface ObserveResponse {
  data?: ObserveData;
  errors?: RelayErrorItem[];
}

/**
 * Builds the `/observe/observables` answer from per-observable results:
 * entities in request order, errors deduplicated, `data` left out when the
 * request failed and found nothing (spec §7: `data` accompanies errors only
 * when some observables succeeded).
 */
export function buildObserveResponse(
  results: readonly ObservationEntities[],
  errors: readonly RelayErrorItem[],
): ObserveResponse {
  const data: Record<string, Docs<unknown>> = {};
  const keys = ['sightings', 'indicators', 'judgements', 'relationships'] as const;
  for (const key of keys) {
    const docs: unknown[] = results.flatMap((result): unknown[] => result[key]);
    if (docs.length > 0) data[key] = { count: docs.length, docs };
  }
  if (errors.length === 0) return { data: data as ObserveData };

  const unique = new Map<string, RelayErrorItem>();
  for (const error of errors) unique.set(`${error.code}\0${error.message}`, error);
  const response: ObserveResponse = { errors: [...unique.values()] };
  if (Object.keys(data).length > 0) response.data = data as ObserveData;
  return response;
}
