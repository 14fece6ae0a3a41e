import { unexpectedResponse } from '../qualys-errors.js';
import type { QualysEvent } from '../qualys-event.js';
import type { ExactValue } from './attribution.js';
import { batchKindOf } from './batch-kinds.js';
import {
  batchFilter,
  batchPageSize,
  halves,
  MAX_BATCH_SIZE,
  MIN_BATCH_SIZE,
  packBatches,
} from './batch-filter.js';
import type {
  BatchAnswer,
  BatchAnswerOutcome,
  BatchedSearchOptions,
  ObservableOutcome,
  ObservableToSearch,
  StateOutcome,
} from './batch-search-port.js';
import {
  ACTIVE,
  groupForBatches,
  HISTORICAL,
  insertInOrder,
  Item,
  logLine,
  share,
  Unit,
  type Task,
} from './batch-units.js';
import { InFlightObservables } from './in-flight-observables.js';
import {
  historicalSettles,
  judgeExactAnswer,
  judgeProbeAnswer,
  type Judgement,
  type Verdict,
} from './settling.js';

/**
 * Spec §12: the searches of a request's observables (after the cache),
 * batched. Exact observables of one state share searches of up to the batch
 * size; contains ones are probed; what an answer leaves unsettled is
 * re-batched, split or searched alone until every state of every observable
 * has its events or its error. Both states of an observable are judged
 * together: a complete historical answer settles it only once its active
 * events are known, so it goes alone in a state only when that is needed.
 */
export class BatchedSearches {
  private readonly items: Item[];
  private readonly queue: Task[] = [];
  private readonly results: ObservableOutcome[];
  private readonly batchSize: number;
  private running = 0;
  private open = 0;
  private finish: (() => void) | undefined;

  constructor(
    observables: readonly ObservableToSearch[],
    private readonly options: BatchedSearchOptions,
  ) {
    this.batchSize = Math.max(
      MIN_BATCH_SIZE,
      Math.min(MAX_BATCH_SIZE, Math.floor(options.batchSize)),
    );
    this.items = observables.map((wanted, index) => Item.of(index, wanted));
    this.results = observables.map(() => ({}));
  }

  /**
   * Drives every search to its end; resolves with each observable's outcome
   * per state searched. With a `finished` hook, outcomes go to it as they
   * end and are not kept: the caller maps and drops each observable's
   * events (spec §15), and the engine must not hold them until the last.
   */
  run(): Promise<ObservableOutcome[]> {
    return new Promise((resolve) => {
      this.finish = () => resolve(this.results);
      const units = this.items.flatMap((item) => item.units.filter((unit) => unit !== undefined));
      this.open = units.length;
      const own = units.filter((unit) => !this.joined(unit));
      this.plan(own);
      this.launch();
      this.finishIfDone();
    });
  }

  /**
   * Ends observable `index` with `error` (it was left out of the answer,
   * spec §15): no further search starts for it, a state waiting for its
   * active events ends now, and one inside a batch in flight ends with it.
   */
  abandon(index: number, error: unknown): void {
    const item = this.items[index];
    item.ended ??= { error };
    const historical = item.units[HISTORICAL];
    if (historical?.pending !== undefined) this.endIfEnded(historical);
    this.launch();
    this.finishIfDone();
  }

  /** Spec §12: joins a search in flight for the same credentials whose page covers L. */
  private joined(unit: Unit): boolean {
    const { inFlight, limit } = this.options;
    if (inFlight === undefined) return false;
    const { type, value } = unit.item.observable;
    const key = InFlightObservables.keyOf(inFlight.credentialsKey, type, value, unit.active);
    const entry = inFlight.registry.joinable(key, limit);
    if (entry === undefined) {
      unit.release = inFlight.registry.claim(key, limit);
      return false;
    }
    void entry.outcome.then((owned) => {
      if (owned.kind === 'settled') {
        // A larger page serves a smaller one with its first L events (spec §9, as the cache does).
        const events = owned.events.slice(0, limit);
        this.finalise(unit, {
          kind: 'settled',
          events,
          fetchedAt: owned.fetchedAt,
          bytes: share(owned.bytes, events.length, owned.events.length),
          by: 'joined',
        });
      } else {
        // The owner's error is its own (its deadline, its signal): search it here instead.
        this.enqueue(this.ownSearch(unit));
      }
      this.launch();
      this.finishIfDone();
    });
    return true;
  }

  /** First tasks: per kind and state, batches in request order; the rest searched alone. */
  private plan(units: readonly Unit[]): void {
    const { alone, groups } = groupForBatches(units, this.items);
    const tasks = alone.map((unit) => this.ownSearch(unit));
    for (const group of groups) tasks.push(...this.batchesOf(group));
    this.enqueue(...tasks);
  }

  /**
   * Adds tasks in request order, active before historical: what the request
   * needs first goes first, and an observable's two states end close
   * together, so it is mapped, and its events dropped, early (spec §15).
   */
  private enqueue(...tasks: Task[]): void {
    for (const task of tasks) insertInOrder(this.queue, task);
  }

  private batchesOf(units: readonly Unit[]): Task[] {
    const { learned } = this.options;
    const size = learned
      ? learned.sizes.sizeFor(learned.subscriptionId, this.batchSize)
      : this.batchSize;
    return packBatches(units, (unit) => unit.item.observable, size).map((batch) =>
      this.task(batch),
    );
  }

  private task(units: Unit[], split?: Task['split']): Task {
    const { item, state } = units[0];
    return { units, kind: batchKindOf(item.observable.type), state, ...(split ? { split } : {}) };
  }

  private ownSearch(unit: Unit): Task {
    return this.task([unit]);
  }

  private launch(): void {
    const max = this.options.maxInFlight ?? Number.POSITIVE_INFINITY;
    while (this.running < max && this.queue.length > 0) {
      const task = this.queue.shift() as Task;
      const units = task.units.filter((unit) => !unit.ended && !this.endIfEnded(unit));
      if (units.length === 0) continue;
      // A batch whose units all ended elsewhere is not sent; one that lost some is re-formed.
      this.start(units.length === task.units.length ? task : { ...task, units });
    }
  }

  private start(task: Task): void {
    const { port, limit, signalOf } = this.options;
    const n = task.units.length;
    const own = n === 1 ? signalOf?.(task.units[0].item.index) : undefined;
    const signal = own ?? this.options.signal;
    const search = {
      filter: batchFilter(task.units.map((unit) => unit.item.observable)),
      active: task.state === ACTIVE,
      pageSize: batchPageSize(task.kind, n, limit),
      observables: n,
    };
    this.running++;
    port
      .search(search, signal)
      .then(
        (answer) => this.answered(task, search.pageSize, answer),
        (error: unknown) => this.failed(task, error, search.pageSize),
      )
      .catch((error: unknown) => this.failed(task, error, search.pageSize))
      .finally(() => {
        this.running--;
        this.launch();
        this.finishIfDone();
      });
  }

  private answered(task: Task, pageSize: number, answer: BatchAnswer): void {
    if (task.split !== undefined && answer.kind !== 'refused' && ++task.split.answered === 2) {
      const { learned } = this.options;
      learned?.sizes.lower(learned.subscriptionId, task.split.size);
    }
    if (task.units.length === 1) {
      this.answeredAlone(task.units[0], answer);
      return;
    }
    if (answer.kind === 'refused') {
      // Spec §12: not "nothing found" on a batch: its halves are searched again.
      const [first, second] = halves(task.units);
      const split = { size: first.length, answered: 0 };
      this.enqueue(this.task(first, split), this.task(second, split));
      this.count('refused', task, pageSize, { rebatched: task.units.length });
      return;
    }
    const events = answer.kind === 'events' ? answer.events : [];
    const judged = answer.kind === 'too-large' ? 'too-large' : { events };
    const judgement: Judgement =
      task.kind === 'exact'
        ? judgeExactAnswer(
            judged,
            task.units.map((unit) => unit.item.exact as ExactValue),
            { active: task.state === ACTIVE, pageSize, limit: this.options.limit },
          )
        : judgeProbeAnswer(judged, task.units.length);
    if (judgement.unmatched > 0) this.options.hooks?.unmatchedEvents?.(judgement.unmatchedType);
    const fetchedAt = answer.kind === 'too-large' ? Date.now() : answer.fetchedAt;
    const bytes = answer.kind === 'events' ? answer.bytes : 0;
    this.apply(task, judgement.verdicts, { events, fetchedAt, bytes }, pageSize);
  }

  private apply(
    task: Task,
    verdicts: Verdict[] | 'halves',
    answer: { events: readonly QualysEvent[]; fetchedAt: number; bytes: number },
    pageSize: number,
  ): void {
    const tally = { events: answer.events.length, settled: 0, alone: 0, rebatched: 0 };
    if (verdicts === 'halves') {
      const [first, second] = halves(task.units);
      this.enqueue(this.task(first), this.task(second));
      this.count('split', task, pageSize, { ...tally, rebatched: task.units.length });
      return;
    }
    const rebatch: Unit[] = [];
    const alone: Task[] = [];
    verdicts.forEach((verdict, position) => {
      const unit = task.units[position];
      if (this.endIfEnded(unit)) return;
      if (verdict === 'rebatch') {
        rebatch.push(unit);
      } else if (verdict === 'alone') {
        alone.push(this.ownSearch(unit));
      } else {
        const picked = ('settle' in verdict ? verdict.settle : verdict.pending).map(
          (index) => answer.events[index],
        );
        const found = {
          events: picked,
          fetchedAt: answer.fetchedAt,
          bytes: share(answer.bytes, picked.length, answer.events.length),
        };
        tally.settled++;
        if ('settle' in verdict) this.settleByBatch(unit, found);
        else this.judgeHistorical(unit, found);
      }
    });
    tally.alone = alone.length;
    tally.rebatched = rebatch.length;
    this.enqueue(...alone, ...this.batchesOf(rebatch));
    const outcome = rebatch.length > 0 ? 'split' : alone.length > 0 ? 'alone' : 'settled';
    this.count(outcome, task, pageSize, tally);
  }

  /** An observable's own search: final, whatever it answers (spec §12). */
  private answeredAlone(unit: Unit, answer: BatchAnswer): void {
    if (answer.kind === 'events') {
      const { events, fetchedAt, bytes } = answer;
      this.settle(unit, { events, fetchedAt, bytes, by: 'own-search' });
    } else if (
      answer.kind === 'not-found' ||
      (answer.kind === 'refused' && answer.status === 400)
    ) {
      // Spec §7: 400 and 404 from a search mean nothing found.
      const fetchedAt = answer.kind === 'not-found' ? answer.fetchedAt : Date.now();
      this.settle(unit, { events: [], fetchedAt, bytes: 0, by: 'own-search' });
    } else {
      const what =
        answer.kind === 'too-large' ? 'the events answer is too large' : `HTTP ${answer.status}`;
      this.fail(unit, unexpectedResponse(what));
    }
  }

  /** Spec §12: a complete historical answer settles once a is known, if a ≥ L or a + h ≤ L. */
  private judgeHistorical(unit: Unit, found: NonNullable<Unit['pending']>): void {
    const { activeEvents } = unit.item;
    if (activeEvents === undefined) {
      unit.pending = found;
      return;
    }
    if (
      activeEvents !== 'failed' &&
      historicalSettles(activeEvents, found.events.length, this.options.limit)
    ) {
      // Past L they cannot appear (a ≥ L): keep what its own search could hold.
      this.settleByBatch(unit, { ...found, events: found.events.slice(0, this.options.limit) });
    } else {
      this.enqueue(this.ownSearch(unit));
      this.launch();
    }
  }

  private settleByBatch(unit: Unit, found: NonNullable<Unit['pending']>): void {
    this.options.hooks?.settledByBatch?.(
      unit.item.observable,
      unit.active,
      found.events,
      found.fetchedAt,
    );
    this.settle(unit, { ...found, by: 'batch' });
  }

  private settle(
    unit: Unit,
    settled: Omit<Extract<StateOutcome, { kind: 'settled' }>, 'kind'>,
  ): void {
    if (settled.by !== 'joined') this.options.hooks?.observableSettled?.(settled.by);
    this.finalise(unit, { kind: 'settled', ...settled });
  }

  private failed(task: Task, error: unknown, pageSize: number): void {
    if (task.units.length > 1) this.count('failed', task, pageSize, { rebatched: 0 });
    for (const unit of task.units) this.fail(unit, error);
  }

  private fail(unit: Unit, error: unknown): void {
    if (unit.ended) return;
    if (this.options.endsObservable?.(error) === true) unit.item.ended ??= { error };
    this.finalise(unit, { kind: 'failed', error });
  }

  /** A unit of an observable ended by a hard failure takes that failure, unsearched. */
  private endIfEnded(unit: Unit): boolean {
    const { ended } = unit.item;
    if (ended === undefined) return false;
    this.finalise(unit, { kind: 'failed', error: ended.error });
    return true;
  }

  private finalise(unit: Unit, outcome: StateOutcome): void {
    if (unit.ended) return;
    unit.ended = true;
    unit.pending = undefined;
    this.open--;
    const { item } = unit;
    if (this.options.hooks?.finished === undefined)
      this.results[item.index][unit.active ? 'active' : 'historical'] = outcome;
    // Dropped once told: the claim's promise holds the events for its joiners only.
    const { release } = unit;
    unit.release = undefined;
    release?.(outcome.kind === 'settled' ? outcome : { kind: 'failed' });
    this.options.hooks?.finished?.(item.index, unit.active, outcome);
    if (unit.active) {
      item.activeEvents = outcome.kind === 'settled' ? outcome.events.length : 'failed';
      const historical = item.units[HISTORICAL];
      if (historical?.pending !== undefined) {
        const found = historical.pending;
        historical.pending = undefined;
        if (item.ended !== undefined) this.endIfEnded(historical);
        else this.judgeHistorical(historical, found);
      }
    }
  }

  private count(
    outcome: BatchAnswerOutcome | 'failed',
    task: Task,
    pageSize: number,
    tally: { events?: number; settled?: number; alone?: number; rebatched: number },
  ): void {
    const { hooks } = this.options;
    if (outcome !== 'failed') hooks?.batchAnswered?.(outcome);
    hooks?.debug?.(logLine(outcome, task, pageSize, tally));
  }

  private finishIfDone(): void {
    if (this.open === 0 && this.running === 0) this.finish?.();
  }
}
