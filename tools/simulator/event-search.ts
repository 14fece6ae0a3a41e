import type { SimulatorEvent } from './dataset.js';
import {
  FilterParseError,
  matchesFilter,
  parseSearchFilter,
  type FilterExpression,
  type MatchOptions,
} from './filter-parser.js';

export const DEFAULT_PAGE_SIZE = 10;
/** Larger page sizes are silently capped, as a real API would. */
export const MAX_PAGE_SIZE = 1000;

/** A validated `GET /ioc/events` query (spec §7). */
export interface SearchQuery {
  /** Absent when the caller sent no filter: every event of the state matches. */
  filter?: FilterExpression;
  /** true for `state=true` (active events), false for historical ones. */
  active: boolean;
  pageSize: number;
  pageNumber: number;
  /** How many observables the filter asks about: more than 1 for a batched search (spec §12). */
  observables: number;
}

export interface SearchQueryOptions {
  /** Filters longer than this, percent-encoded (see `encodedLength`), are refused with 400. */
  maxFilterLength?: number;
}

/**
 * A filter's length in a URL with every byte but letters, digits and `-._~`
 * percent-encoded: how the relay counts its 2,000-character bound (spec §12).
 */
export function encodedLength(filter: string): number {
  return encodeURIComponent(filter).replace(/[!'()*]/g, '%XX').length;
}

/** A query the simulator refuses with 400 and this message as the text body. */
export class SearchQueryError extends Error {
  override readonly name = 'SearchQueryError';
}

const DIGITS = /^[0-9]+$/;

export function parseSearchQuery(
  params: URLSearchParams,
  options: SearchQueryOptions = {},
): SearchQuery {
  // Qualys accepts a search without a filter (the relay's `/health` check
  // sends one): it answers the newest events of the state asked for.
  const filterText = params.get('filter');
  const { maxFilterLength } = options;
  if (
    filterText !== null &&
    maxFilterLength !== undefined &&
    encodedLength(filterText) > maxFilterLength
  ) {
    throw new SearchQueryError(`Invalid filter: longer than ${maxFilterLength} characters`);
  }
  let filter: FilterExpression | undefined;
  let observables = 1;
  try {
    if (filterText !== null) {
      const parsed = parseSearchFilter(filterText);
      filter = parsed.expression;
      observables = parsed.observables;
    }
  } catch (error) {
    if (error instanceof FilterParseError)
      throw new SearchQueryError(`Invalid filter: ${error.message}`);
    throw error;
  }
  return {
    filter,
    active: parseState(params.get('state')),
    pageSize: Math.min(
      parseInteger(params.get('pageSize'), 'pageSize', DEFAULT_PAGE_SIZE, 1),
      MAX_PAGE_SIZE,
    ),
    pageNumber: parseInteger(params.get('pageNumber'), 'pageNumber', 0, 0),
    observables,
  };
}

function parseState(value: string | null): boolean {
  // Spec §5: active events are `state=true`; historical ones are asked for with no state.
  if (value === null || value === 'false') return false;
  if (value === 'true') return true;
  throw new SearchQueryError('Invalid value for state: expected true or false');
}

function parseInteger(value: string | null, name: string, fallback: number, min: number): number {
  if (value === null) return fallback;
  const parsed = DIGITS.test(value) ? Number(value) : Number.NaN;
  if (!(parsed >= min)) {
    throw new SearchQueryError(`Invalid value for ${name}: expected an integer >= ${min}`);
  }
  return parsed;
}

/**
 * The events a simulator serves, serialised once up front: benchmarks hit the
 * search path hard, and re-serialising every matching event each time is waste.
 */
export class EventIndex {
  private readonly entries: { active: boolean; event: unknown; json: string }[];

  constructor(
    events: readonly SimulatorEvent[],
    private readonly match: MatchOptions = {},
  ) {
    // Only the event goes on the wire: the active flag is the simulator's own bookkeeping.
    this.entries = events.map(({ active, event }) => ({
      active,
      event,
      json: JSON.stringify(event),
    }));
  }

  /**
   * The page of matching events as the JSON array text Qualys would send, in
   * data-set order: a batched filter's union, up to the page size asked for.
   */
  searchJson(query: SearchQuery): string {
    const matching = this.entries.filter(
      (entry) =>
        entry.active === query.active &&
        (query.filter === undefined || matchesFilter(query.filter, entry.event, this.match)),
    );
    const start = query.pageNumber * query.pageSize;
    const page = matching.slice(start, start + query.pageSize);
    return `[${page.map((entry) => entry.json).join(',')}]`;
  }
}
