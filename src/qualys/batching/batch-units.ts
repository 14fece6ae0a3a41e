import type { SupportedObservable } from '../../common/observable.js';
import type { QualysEvent } from '../qualys-event.js';
import type { ExactValue } from './attribution.js';
import {
  batchCandidates,
  batchKindOf,
  isExactType,
  normaliseExactValue,
  type BatchKind,
} from './batch-kinds.js';
import type { BatchAnswerOutcome, BatchLogLine, ObservableToSearch } from './batch-search-port.js';
import type { OwnedOutcome } from './in-flight-observables.js';

/** What the batching engine (batched-searches.ts) drives: observables, their states, its searches. */

export type State = 0 | 1;
export const ACTIVE: State = 0;
export const HISTORICAL: State = 1;

/** One observable of the request. */
export class Item {
  /** The active event count `a` once the active state is final (spec §12); 'failed' when it failed. */
  activeEvents: number | 'failed' | undefined;
  /** The hard failure that ended the observable (see `endsObservable`). */
  ended: { error: unknown } | undefined;
  readonly units: (Unit | undefined)[] = [undefined, undefined];

  constructor(
    readonly index: number,
    readonly observable: SupportedObservable,
    readonly exact: ExactValue | undefined,
  ) {}

  /** Observable `index` of the request, with a unit per state still to search. */
  static of(index: number, wanted: ObservableToSearch): Item {
    const { observable } = wanted;
    const { type, value } = observable;
    const normalised = isExactType(type) ? normaliseExactValue(type, value) : undefined;
    const exact =
      isExactType(type) && normalised !== undefined ? { type, value, normalised } : undefined;
    const item = new Item(index, observable, exact);
    if (wanted.searchActive === false) item.activeEvents = wanted.cachedActiveEvents ?? 0;
    else item.units[ACTIVE] = new Unit(item, ACTIVE);
    if (wanted.searchHistorical !== false) item.units[HISTORICAL] = new Unit(item, HISTORICAL);
    return item;
  }
}

/** One state of one observable: what the engine drives to an outcome. */
export class Unit {
  /** Its outcome was told (the events are the caller's: not kept here). */
  ended = false;
  /** A complete historical answer's events, waiting for `a` (spec §12). */
  pending: { events: QualysEvent[]; fetchedAt: number; bytes: number } | undefined;
  release: ((outcome: OwnedOutcome) => void) | undefined;

  constructor(
    readonly item: Item,
    readonly state: State,
  ) {}

  get active(): boolean {
    return this.state === ACTIVE;
  }
}

/** A search to send: a batch of units of one kind and state, or one unit's own search. */
export interface Task {
  units: Unit[];
  kind: BatchKind;
  state: State;
  /** Set on a half of a refused batch: both halves answered lowers the batch size. */
  split?: { size: number; answered: number };
}

/** The part of an answer's bytes `count` of its `total` events stand for (spec §15 memory budget). */
export function share(bytes: number, count: number, total: number): number {
  return total === 0 || count === 0 ? 0 : Math.ceil((bytes * count) / total);
}

/**
 * Spec §12 "Who is batched": the units searched alone (a value that does not
 * parse as its type, or equal to another of the request after
 * normalisation), and the others grouped by kind and state.
 */
export function groupForBatches(
  units: readonly Unit[],
  items: readonly Item[],
): { alone: Unit[]; groups: Unit[][] } {
  const { batchable } = batchCandidates(items.map((item) => item.observable));
  const batchableItems = new Set(batchable);
  const alone: Unit[] = [];
  const groups = new Map<string, Unit[]>();
  for (const unit of units) {
    const { observable } = unit.item;
    const exact = isExactType(observable.type);
    if (!batchableItems.has(unit.item.index) || (exact && unit.item.exact === undefined)) {
      alone.push(unit);
      continue;
    }
    const key = `${batchKindOf(observable.type)}${unit.state}`;
    const group = groups.get(key) ?? [];
    group.push(unit);
    groups.set(key, group);
  }
  return { alone, groups: [...groups.values()] };
}

/** The debug line of a batch answer: sizes and outcome, never a value (spec §12). */
export function logLine(
  outcome: BatchAnswerOutcome | 'failed',
  task: Task,
  pageSize: number,
  tally: { events?: number; settled?: number; alone?: number; rebatched: number },
): BatchLogLine {
  return {
    kind: task.kind,
    active: task.state === ACTIVE,
    observables: task.units.length,
    pageSize,
    ...(tally.events === undefined ? {} : { events: tally.events }),
    outcome,
    settled: tally.settled ?? 0,
    alone: tally.alone ?? 0,
    rebatched: tally.rebatched,
  };
}

/** Inserts `task` after every queued task of an earlier or equal observable and state. */
export function insertInOrder(queue: Task[], task: Task): void {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (notAfter(queue[middle], task)) low = middle + 1;
    else high = middle;
  }
  queue.splice(low, 0, task);
}

/** Whether `a` goes no later than `b`: its first observable earlier, or the same one's no later state. */
function notAfter(a: Task, b: Task): boolean {
  const order = a.units[0].item.index - b.units[0].item.index;
  return order < 0 || (order === 0 && a.state <= b.state);
}
