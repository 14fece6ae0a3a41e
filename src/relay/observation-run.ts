import type { RelayContext } from '../auth/relay-context.js';
import type { SupportedObservable } from '../common/observable.js';
import { ErrorCode, RelayError, type RelayErrorItem } from '../common/relay-error.js';
import type { ObservationEntities, Verdict } from '../ctim/ctim.types.js';
import {
  SearchDeadlineError,
  type ObservableSearches,
  type QualysClient,
  type RelayRequestScope,
  type SearchResult,
  type StateOutcome,
} from '../qualys/qualys.client.js';
import { RateLimitReachedError } from '../qualys/qualys-errors.js';
import { AnswerBudget, serializedBytes } from './answer-budget.js';

/** Units of work per observable (spec §15): its active and its historical search. */
export const SEARCHES_PER_OBSERVABLE = 2;

/** Spec §15: observables the process had no room for were not searched. */
export function relayBusy(notSearched: number, total: number): RelayError {
  return new RelayError(
    ErrorCode.TOO_MANY_REQUESTS,
    `The relay is busy: ${notSearched} of ${total} observables were not searched; try again in a few seconds.`,
  );
}

/** How one search ended, until its observable is mapped. */
type Settled = { result: SearchResult } | { reason: unknown };

/** The answers of one observable's two searches; a search that did not answer is missing. */
export interface Answers {
  active?: SearchResult;
  historical?: SearchResult;
}

/** What the relay answers for one observable: its entities, its verdict (spec §5, §13). */
export interface Observation {
  entities?: ObservationEntities;
  verdict?: Verdict;
}

/** Maps one observable's answers, partial ones included, to what the route answers. */
export type MapAnswers = (
  observable: SupportedObservable,
  answers: Answers,
  now: Date,
) => Observation;

/**
 * One observable's two searches, as they end. An observable still waiting
 * for its searches costs this object and what the batching engine keeps of
 * it (spec §15): no promise, signal or timer of its own.
 */
class ObservableWork {
  /** Searches not yet ended. */
  open = SEARCHES_PER_OBSERVABLE;
  /** Index 0: active events, 1: historical ones. */
  readonly settled: (Settled | undefined)[] = [undefined, undefined];
  /** The first hard failure: the sibling is abandoned, and this is what the observable answers. */
  failure: unknown;
  /** An unfinished search at the deadline, and whether it was waiting for limits (spec §9). */
  late: boolean | undefined;
  /** Ends its own searches (a sibling failed, or the observable was left out); made when asked for. */
  abandon: AbortController | undefined;
  /** Bytes of its answers held against the memory budget until it is mapped. */
  heldBytes = 0;
  leftOut = false;

  constructor(readonly observable: SupportedObservable) {}
}

/** What the observables of a request came to, in request order. */
export interface RunResult {
  entities: ObservationEntities[];
  verdicts: Verdict[];
  errors: RelayErrorItem[];
  /** Observables with a search unfinished at the deadline, and whether one waited for limits. */
  late: { count: number; waitingForLimits: boolean };
  /** Admitted observables left out because the answer reached its size limit. */
  leftOut: number;
}

export interface RunOptions {
  relayContext: RelayContext;
  request: RelayRequestScope;
  now: Date;
  maxAnswerBytes: number;
  /** What the route answers for each observable (entities for `/observe`, verdicts for both). */
  map: MapAnswers;
  /** Turns an unforeseen failure into the relay error answered (and logs it). */
  asRelayError: (error: unknown) => RelayError;
}

/** Why the searches of an observable left out of the answer ended (never answered). */
const LEFT_OUT = new Error('left out of the answer');

/**
 * Spec §5, §12 and §15: the searches of a request's admitted observables —
 * from the cache, else batched, at most the request's launch window at
 * once (the client's `searchObservables`). Observables are mapped in
 * request order as their searches end, each answer's events held against
 * the memory budget until then; the first observable that does not fit the
 * answer's size limit and every one after it are left out, their searches
 * abandoned.
 *
 * A hard failure abandons the sibling search, so no call, retry or wait
 * outlives the answer; that failure is the one reported. Running out of
 * time or of rate budget is not a failure of the observable: what did
 * finish is kept (spec §9).
 */
export class ObservationRun {
  private readonly works: ObservableWork[];
  private readonly answer: AnswerBudget;
  private readonly result: RunResult = {
    entities: [],
    verdicts: [],
    errors: [],
    late: { count: 0, waitingForLimits: false },
    leftOut: 0,
  };
  private readonly errorKeys = new Set<string>();
  private readonly searches: ObservableSearches;
  /** The next observable to map. */
  private cursor = 0;
  private cut = false;

  constructor(
    qualys: QualysClient,
    observables: readonly SupportedObservable[],
    private readonly options: RunOptions,
  ) {
    this.works = observables.map((observable) => new ObservableWork(observable));
    this.answer = new AnswerBudget(options.maxAnswerBytes);
    this.searches = qualys.searchObservables(options.relayContext, observables, {
      request: options.request,
      finished: (index, active, outcome) => this.finished(this.works[index], active, outcome),
      endsObservable: (error) => !isPartial(error),
      signalOf: (index) => (this.works[index].abandon ??= new AbortController()).signal,
    });
  }

  async run(): Promise<RunResult> {
    // Every state of every observable ends in one `finished` call before this resolves.
    await this.searches.run();
    return this.result;
  }

  /** A search of `work` ended: its events, or its error. */
  private finished(work: ObservableWork, active: boolean, outcome: StateOutcome): void {
    const state = active ? 0 : 1;
    if (!work.leftOut && work.settled[state] === undefined) {
      if (outcome.kind === 'settled') {
        const { events, bytes, fetchedAt } = outcome;
        this.options.request.hold(bytes);
        work.heldBytes += bytes;
        work.settled[state] = { result: { events, bytes, fetchedAt } };
      } else {
        const { error } = outcome;
        if (!isPartial(error) && work.failure === undefined && !work.abandon?.signal.aborted) {
          work.failure = error;
          work.abandon?.abort();
        }
        work.settled[state] = { reason: error };
      }
    }
    this.options.request.settle(1);
    work.open--;
    if (work.open === 0) this.mapInOrder();
  }

  /** Maps every observable whose searches are over, in request order, while the answer has room. */
  private mapInOrder(): void {
    while (!this.cut && this.cursor < this.works.length && this.works[this.cursor].open === 0) {
      const work = this.works[this.cursor];
      if (!this.add(work)) {
        this.leaveOut(this.cursor);
        return;
      }
      this.options.request.release(work.heldBytes);
      work.heldBytes = 0;
      work.settled.fill(undefined);
      this.cursor++;
    }
  }

  /** Adds an observable's outcome to the answer; false when it does not fit. */
  private add(work: ObservableWork): boolean {
    const { asRelayError, map, now, request } = this.options;
    if (work.failure !== undefined) return this.addError(asRelayError(work.failure).toItem());
    let error: RelayErrorItem | undefined;
    for (const settled of work.settled) {
      if (settled === undefined || !('reason' in settled)) continue;
      const { reason } = settled;
      if (reason instanceof SearchDeadlineError) {
        work.late = (work.late ?? false) || reason.waitingForLimits;
      } else {
        error = asRelayError(reason).toItem();
      }
    }
    let observation: Observation;
    try {
      observation = map(
        work.observable,
        { active: resultOf(work.settled[0]), historical: resultOf(work.settled[1]) },
        now,
      );
    } catch (failure) {
      return this.addError(asRelayError(failure).toItem());
    }
    const bytes = observationBytes(observation);
    if (!this.answer.add(bytes)) return false;
    if (error !== undefined && !this.addError(error)) return false;
    request.hold(bytes);
    if (observation.entities) this.result.entities.push(observation.entities);
    if (observation.verdict) this.result.verdicts.push(observation.verdict);
    if (work.late !== undefined) {
      this.result.late.count++;
      this.result.late.waitingForLimits ||= work.late;
    }
    return true;
  }

  /** Errors are answered once each (code and message), so only a new one takes room. */
  private addError(item: RelayErrorItem): boolean {
    const key = `${item.code}\0${item.message}`;
    if (!this.errorKeys.has(key)) {
      if (!this.answer.add(serializedBytes(item) + 1)) return false;
      this.errorKeys.add(key);
    }
    this.result.errors.push(item);
    return true;
  }

  /** Spec §15: observable `from` and every one after it are left out, their searches abandoned. */
  private leaveOut(from: number): void {
    this.cut = true;
    this.result.leftOut = this.works.length - from;
    for (const [offset, work] of this.works.slice(from).entries()) {
      work.leftOut = true;
      this.options.request.release(work.heldBytes);
      work.heldBytes = 0;
      work.settled.fill(undefined);
      work.abandon?.abort();
      this.searches.abandon(from + offset, LEFT_OUT);
    }
  }
}

function resultOf(settled: Settled | undefined): SearchResult | undefined {
  return settled !== undefined && 'result' in settled ? settled.result : undefined;
}

/** What an observable's entities and verdict add to the answer. */
function observationBytes({ entities, verdict }: Observation): number {
  let bytes = verdict ? serializedBytes(verdict) + 1 : 0;
  if (entities === undefined) return bytes;
  for (const list of Object.values(entities) as unknown[][]) {
    if (list.length > 0) bytes += serializedBytes(list);
  }
  return bytes;
}

/** Spec §9: errors after which the observable keeps what its other search found. */
function isPartial(error: unknown): boolean {
  return error instanceof SearchDeadlineError || error instanceof RateLimitReachedError;
}
