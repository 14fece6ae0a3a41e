import type { RelayContext } from '../auth/relay-context.js';
import type { SupportedObservable } from '../common/observable.js';
import { ErrorCode, RelayError, type RelayErrorItem } from '../common/relay-error.js';
import type { ObservationEntities, Verdict } from '../ctim/ctim.types.js';
import {
  SearchDeadlineError,
  type QualysClient,
  type RelayRequestScope,
  type SearchResult,
} from '../qualys/qualys.client.js';
import { RateLimitReachedError } from '../qualys/qualys-errors.js';
import { buildSearchFilter } from '../qualys/search-filter.js';
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
 * One observable's two searches. Its fields start empty and fill as its
 * searches start and settle: an observable still waiting for its turn costs
 * this object and nothing else (no promise, signal or timer).
 */
class ObservableWork {
  /** Searches not yet settled or skipped. */
  open = SEARCHES_PER_OBSERVABLE;
  /** Searches started and not yet settled. */
  running = 0;
  filter: string | undefined;
  /** Index 0: active events, 1: historical ones. */
  readonly settled: (Settled | undefined)[] = [undefined, undefined];
  /** The first hard failure: the sibling is abandoned, and this is what the observable answers. */
  failure: unknown;
  /** An unfinished search at the deadline, and whether it was waiting for limits (spec §9). */
  late: boolean | undefined;
  /** Aborts the searches still running (a sibling failed, or the observable was left out). */
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

/**
 * Spec §5 and §15: the searches of a request's admitted observables, started
 * lazily — at most the request's launch window at once, in request order,
 * the next as one settles — so a thousand observables waiting for their
 * turn hold a small object each rather than a promise chain, signals and a
 * queue ticket per search. Observables are mapped in request order as
 * their searches end, each answer's events held against the memory budget
 * until then; the first observable that does not fit the answer's size
 * limit and every one after it are left out, their searches abandoned.
 *
 * A hard failure abandons the sibling search, so no call, retry or wait
 * outlives the answer; that failure is the one reported. Running out of
 * time or of rate budget is not a failure of the observable: what did
 * finish is kept (spec §9).
 */
export class ObservationRun {
  private readonly works: ObservableWork[];
  private readonly units: number;
  private readonly answer: AnswerBudget;
  private readonly result: RunResult = {
    entities: [],
    verdicts: [],
    errors: [],
    late: { count: 0, waitingForLimits: false },
    leftOut: 0,
  };
  private readonly errorKeys = new Set<string>();
  /** The next unit (observable × state) to start. */
  private nextUnit = 0;
  private running = 0;
  /** The next observable to map. */
  private cursor = 0;
  private cut = false;
  private launching = false;
  private finish: (() => void) | undefined;

  constructor(
    private readonly qualys: QualysClient,
    observables: readonly SupportedObservable[],
    private readonly options: RunOptions,
  ) {
    this.works = observables.map((observable) => new ObservableWork(observable));
    this.units = this.works.length * SEARCHES_PER_OBSERVABLE;
    this.answer = new AnswerBudget(options.maxAnswerBytes);
  }

  run(): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      this.finish = () => resolve(this.result);
      this.launch();
      this.finishIfDone();
    });
  }

  /** Starts units while the window has room; skips those no longer needed. */
  private launch(): void {
    if (this.launching) return;
    this.launching = true;
    const { request } = this.options;
    try {
      while (this.running < request.launchWindow && this.nextUnit < this.units) {
        const unit = this.nextUnit++;
        const work = this.works[Math.floor(unit / SEARCHES_PER_OBSERVABLE)];
        const state = unit % SEARCHES_PER_OBSERVABLE;
        if (work.leftOut || work.failure !== undefined) {
          this.skip(work);
        } else if (request.expired) {
          // Still waiting for its turn at the deadline: waiting for limits (spec §9).
          work.settled[state] = { reason: new SearchDeadlineError(true) };
          this.skip(work);
        } else {
          this.start(work, state);
        }
      }
    } finally {
      this.launching = false;
    }
  }

  private start(work: ObservableWork, state: number): void {
    const { relayContext, request } = this.options;
    work.filter ??= buildSearchFilter(work.observable);
    work.abandon ??= new AbortController();
    work.running++;
    this.running++;
    void this.qualys
      .searchEvents(relayContext, {
        active: state === 0,
        pageSize: relayContext.entitiesLimit,
        filter: work.filter,
        request,
        signal: work.abandon.signal,
      })
      .then(
        (found) => {
          if (!work.leftOut) {
            request.hold(found.bytes);
            work.heldBytes += found.bytes;
            work.settled[state] = { result: found };
          }
        },
        (error: unknown) => {
          if (work.leftOut) return;
          if (!isPartial(error) && work.failure === undefined && !work.abandon?.signal.aborted) {
            work.failure = error;
            work.abandon?.abort();
          }
          work.settled[state] = { reason: error };
        },
      )
      .finally(() => {
        work.running--;
        this.running--;
        this.settle(work);
        this.launch();
        this.finishIfDone();
      });
  }

  /** A unit that will not be searched (any more). */
  private skip(work: ObservableWork): void {
    this.settle(work);
  }

  private settle(work: ObservableWork): void {
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
    for (const work of this.works.slice(from)) {
      work.leftOut = true;
      this.options.request.release(work.heldBytes);
      work.heldBytes = 0;
      work.settled.fill(undefined);
      if (work.running > 0) work.abandon?.abort();
    }
  }

  private finishIfDone(): void {
    if (this.running === 0 && this.nextUnit >= this.units) this.finish?.();
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
