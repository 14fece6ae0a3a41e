import type { SupportedObservable } from '../../common/observable.js';
import { quote } from '../../common/url-encoding.js';
import { buildSearchFilter } from '../search-filter.js';
import type { BatchKind } from './batch-kinds.js';

/** Spec §12: a batched filter, URL-encoded, is at most this long. */
export const MAX_ENCODED_FILTER_LENGTH = 2000;
/** Spec §12: the largest page Qualys clients are known to receive in full. */
export const MAX_BATCH_PAGE_SIZE = 1000;
/** Spec §12: a contains batch only asks whether anything matches. */
export const PROBE_PAGE_SIZE = 1;
/** Spec §8: `QUALYS_BATCH_SIZE` is 1…50, 1 turning batching off. */
export const MIN_BATCH_SIZE = 1;
export const MAX_BATCH_SIZE = 50;
export const DEFAULT_BATCH_SIZE = 20;

const OR = ' or ';

/**
 * Spec §12: each observable's own §4 filter in parentheses, joined by ` or `,
 * in request order. One observable's batch is its own search: its own filter.
 */
export function batchFilter(observables: readonly SupportedObservable[]): string {
  if (observables.length === 1) return buildSearchFilter(observables[0]);
  return observables.map((observable) => `(${buildSearchFilter(observable)})`).join(OR);
}

/**
 * The length of `filter` in the query string. Percent-encoding every byte but
 * the unreserved ones (url-encoding.ts) is never shorter than form encoding
 * (URLSearchParams, which writes a space as `+`), so a filter within the
 * bound stays within it however the HTTP layer encodes its query.
 */
export function encodedFilterLength(filter: string): number {
  return quote(filter).length;
}

/**
 * Spec §12 "Page size": an exact batch asks for min(n × L, 1000) events, a
 * contains batch (a probe) for 1; a batch of one is its own search (L).
 */
export function batchPageSize(kind: BatchKind, observables: number, limit: number): number {
  if (observables === 1) return limit;
  if (kind === 'contains') return PROBE_PAGE_SIZE;
  return Math.min(observables * limit, MAX_BATCH_PAGE_SIZE);
}

/**
 * Spec §12 "Batches": consecutive runs, in the given order, of at most
 * `batchSize` items whose filter, URL-encoded, is at most 2,000 characters.
 * An item whose own filter is longer than that is a batch of its own.
 */
export function packBatches<T>(
  items: readonly T[],
  observableOf: (item: T) => SupportedObservable,
  batchSize: number,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let length = 0;
  const orLength = encodedFilterLength(OR);
  for (const item of items) {
    const own = encodedFilterLength(`(${buildSearchFilter(observableOf(item))})`);
    const grown = current.length === 0 ? own : length + orLength + own;
    if (current.length > 0 && (current.length >= batchSize || grown > MAX_ENCODED_FILTER_LENGTH)) {
      batches.push(current);
      current = [item];
      length = own;
    } else {
      current.push(item);
      length = grown;
    }
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Spec §12: a refused batch is split in halves, the first one the larger. */
export function halves<T>(items: readonly T[]): [T[], T[]] {
  const middle = Math.ceil(items.length / 2);
  return [items.slice(0, middle), items.slice(middle)];
}
