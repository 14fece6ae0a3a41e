import type { RelayContext } from '../auth/relay-context.js';
import type { SearchKeys } from './limits/qualys-limits.js';
import type { RelayRequestScope } from './limits/relay-request-scope.js';
import type { QualysSession } from './qualys-auth.js';
import type { QualysEvent } from './qualys-event.js';

/** A relay request's work: items (observables) of `unitsPerItem` searches each (spec §15). */
export interface RequestWork {
  items: number;
  unitsPerItem: number;
}

export interface SearchOptions {
  /** Spec §5: `true` searches active events (`state=true`), `false` historical ones. */
  active: boolean;
  pageSize: number;
  /** Omitted for the health check, which only proves access. */
  filter?: string;
  /** The relay request this search serves: its deadline, and its place among the subscription's requests (spec §9). */
  request: RelayRequestScope;
  /** Abandons the search (its sibling failed): no further calls, retries or waits. */
  signal?: AbortSignal;
  /** Never read or share a cached answer (spec §9: `/health` exists to reach Qualys). */
  fresh?: boolean;
  /**
   * How many observables the filter asks about (default 1). More than one is
   * a batch (spec §12): never cached as such, and its 400/413/414 refuse it
   * instead of meaning "nothing found".
   */
  observables?: number;
}

/** A search's events, their size and when Qualys answered them; from the cache, when it was fetched (spec §13). */
export interface SearchResult {
  events: QualysEvent[];
  /** Decoded bytes of the answer they came in, for the memory budget (spec §15). */
  bytes: number;
  /** Epoch ms. */
  fetchedAt: number;
}

/** One search as the client runs it: for whom, what it asks, with which token and keys. */
export interface SearchRun {
  relayContext: RelayContext;
  url: string;
  query: Record<string, string>;
  session: QualysSession;
  keys: SearchKeys;
  request: RelayRequestScope;
  /** Observables the filter asks about: 0 for the health check, more than 1 for a batch. */
  observables: number;
}
