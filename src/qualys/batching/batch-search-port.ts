import type { SupportedObservable } from '../../common/observable.js';
import type { QualysEvent } from '../qualys-event.js';
import type { BatchKind } from './batch-kinds.js';
import type { InFlightObservables } from './in-flight-observables.js';
import type { LearnedBatchSizes } from './learned-batch-sizes.js';

/** One search the engine asks for: a batch (observables > 1) or an observable's own search. */
export interface BatchSearch {
  filter: string;
  /** Spec §5: `true` searches active events (`state=true`), `false` historical ones. */
  active: boolean;
  pageSize: number;
  /** How many observables the filter asks about; 1 is an observable's own search (spec §5). */
  observables: number;
}

/**
 * How Qualys answered one search. `refused` and `too-large` are what a batch
 * (observables > 1) may get instead of events (spec §12 "Refused batches");
 * an observable's own search answers as it does today (400 and 404 are
 * `not-found`, an answer over the size cap is an error thrown).
 */
export type BatchAnswer =
  | { kind: 'events'; events: QualysEvent[]; fetchedAt: number; bytes: number }
  | { kind: 'not-found'; fetchedAt: number }
  | { kind: 'refused'; status: 400 | 413 | 414 }
  | { kind: 'too-large' };

/**
 * The engine's one door to Qualys. Errors are thrown as the client throws
 * them (RelayError, the deadline, the rate limit); the engine makes each one
 * the error of every observable of the search.
 */
export interface BatchSearchPort {
  search(search: BatchSearch, signal?: AbortSignal): Promise<BatchAnswer>;
}

/** How one state of one observable ended. */
export type StateOutcome =
  | {
      kind: 'settled';
      /** Its events, in the answer's order (at most L of them). */
      events: QualysEvent[];
      /** When Qualys answered them (epoch ms). */
      fetchedAt: number;
      /** Their share of the decoded answer bytes, for the memory budget (spec §15). */
      bytes: number;
      /** What settled it: a batch, its own search, or another request's search it joined. */
      by: SettledBy | 'joined';
    }
  | { kind: 'failed'; error: unknown };

export type SettledBy = 'batch' | 'own-search';

/** Spec §12 `/metrics`: how a batch answer was used. */
export type BatchAnswerOutcome = 'settled' | 'split' | 'alone' | 'refused';

/** One observable of a request, after the cache (spec §12 "Who is batched"). */
export interface ObservableToSearch {
  observable: SupportedObservable;
  /** False when the state was answered from the cache: it is not searched. Default true. */
  searchActive?: boolean;
  searchHistorical?: boolean;
  /** With `searchActive: false`: the events of its cached active search, the `a` of spec §12. */
  cachedActiveEvents?: number;
}

/** The outcome of each state searched; a state not searched (cached) is absent. */
export interface ObservableOutcome {
  active?: StateOutcome;
  historical?: StateOutcome;
}

/** One line of the debug log per batch answer: sizes and outcome, never a value (spec §12). */
export interface BatchLogLine {
  kind: BatchKind;
  active: boolean;
  observables: number;
  pageSize: number;
  /** Events in the answer; absent when it was refused, too large or failed. */
  events?: number;
  outcome: BatchAnswerOutcome | 'failed';
  settled: number;
  alone: number;
  rebatched: number;
}

/** What the engine tells its caller as it goes (all optional). */
export interface BatchHooks {
  /**
   * An observable settled by a batch answer: cache it as if its own search
   * had run (its filter, state, page size L), so asking for it alone later
   * is a hit (spec §12 "Limits and cache").
   */
  settledByBatch?(
    observable: SupportedObservable,
    active: boolean,
    events: QualysEvent[],
    fetchedAt: number,
  ): void;
  /** A state of the request's observable `index` is final. */
  finished?(index: number, active: boolean, outcome: StateOutcome): void;
  /** Spec §12 `/metrics`: a batch answer and how it was used. */
  batchAnswered?(outcome: BatchAnswerOutcome): void;
  /** Spec §12 `/metrics`: a state of an observable settled by a batch or by its own search. */
  observableSettled?(by: SettledBy): void;
  debug?(line: BatchLogLine): void;
  /**
   * An answer held events that match no observable of its batch (the caller
   * logs at most one line an hour per subscription), with the first one's
   * event type when it is a plain word.
   */
  unmatchedEvents?(eventType: string | undefined): void;
}

/** How a request runs its batched searches (batched-searches.ts). */
export interface BatchedSearchOptions {
  port: BatchSearchPort;
  /** The request's entity limit L (spec §5). */
  limit: number;
  /** `QUALYS_BATCH_SIZE` (spec §8), 1…50; 1 searches every observable alone. */
  batchSize: number;
  /** At most this many searches in flight at once (the request's launch window); default unbounded. */
  maxInFlight?: number;
  /** Passed to every batch: the request left, or was cut (spec §15). */
  signal?: AbortSignal;
  /**
   * The signal of observable `index`'s own searches, when it may end before
   * its request (its other state failed, or it was left out); default `signal`.
   */
  signalOf?: (index: number) => AbortSignal | undefined;
  /** The subscription's batch size learned from refusals (spec §12, per process). */
  learned?: { sizes: LearnedBatchSizes; subscriptionId: string };
  /** Observables in flight for these credentials in this process, to join (spec §12). */
  inFlight?: { registry: InFlightObservables; credentialsKey: string };
  hooks?: BatchHooks;
  /**
   * Whether an error is a hard failure of the observable (spec §9: not the
   * deadline nor the rate limit): its other state then starts no further
   * search and ends with the same error. Default: no error is.
   */
  endsObservable?: (error: unknown) => boolean;
}
