import { setMaxListeners } from 'node:events';
import type { MemoryBudget } from './memory-budget.js';
import type { WorkReservation } from './work-admission.js';

/** What a request may use of the process (spec §15); absent for `/health`, which is one search. */
export interface RequestShare {
  /** Its searches' units, reserved when it started. */
  reservation: WorkReservation;
  /** The process-wide memory budget its held answers count against. */
  memory: MemoryBudget;
  /** How many of its searches are worth starting at once (the process's cap on calls in flight). */
  launchWindow: number;
}

/**
 * One relay request's share of Qualys (spec §9): its deadline, by which it
 * answers with what it has, and the identity its calls wait under in the
 * subscription queues (requests of one subscription take turns,
 * request-rotation.ts). Spec §15: the searches
 * it was admitted for, and the bytes it holds of the memory budget; `end`
 * gives both back.
 */
export class RelayRequestScope {
  /** Epoch ms at which unfinished searches are dequeued or aborted. */
  readonly deadlineAt: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private heldBytes = 0;

  constructor(
    deadlineMs: number,
    now: number = Date.now(),
    private readonly share?: RequestShare,
  ) {
    // Every search of the request listens to this signal (hundreds for a large
    // request): not a leak, so no MaxListenersExceededWarning per request.
    setMaxListeners(0, this.controller.signal);
    // Stop the searches a little early, so mapping and sending the answer
    // still fit inside the deadline Threat Response waits for.
    const stopAfter = Math.max(1, deadlineMs - answerMarginMs(deadlineMs));
    this.deadlineAt = now + stopAfter;
    this.timer = setTimeout(() => this.controller.abort(new DeadlineReachedError()), stopAfter);
  }

  /** Aborts when the deadline is reached. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.controller.signal.aborted;
  }

  remainingMs(now: number = Date.now()): number {
    return this.expired ? 0 : this.deadlineAt - now;
  }

  /** Items (observables) admitted, the first ones in request order; all of them without a share. */
  admitted(items: number): number {
    return this.share === undefined ? items : Math.min(items, this.share.reservation.admitted);
  }

  /** Searches worth starting at once; more would only wait, and waiting costs memory. */
  get launchWindow(): number {
    return this.share?.launchWindow ?? Number.POSITIVE_INFINITY;
  }

  /** `units` of its work settled (answered, failed or skipped): others may be admitted. */
  settle(units: number): void {
    this.share?.reservation.settle(units);
  }

  /** Holds `bytes` that exist (events read, entities mapped) against the memory budget. */
  hold(bytes: number): void {
    if (this.share === undefined || bytes <= 0) return;
    this.heldBytes += bytes;
    this.share.memory.force(bytes);
  }

  /** Gives back `bytes` held (at most what it holds). */
  release(bytes: number): void {
    const given = Math.min(bytes, this.heldBytes);
    if (this.share === undefined || given <= 0) return;
    this.heldBytes -= given;
    this.share.memory.give(given);
  }

  /** The request answered: no timer outlives it, and what it held goes back. */
  end(): void {
    clearTimeout(this.timer);
    this.release(this.heldBytes);
    this.share?.reservation.end();
  }
}

/** Time kept back from the deadline for mapping and writing the answer. */
function answerMarginMs(deadlineMs: number): number {
  return Math.min(250, Math.round(deadlineMs * 0.05));
}

/** The abort reason of a request's signal at its deadline. */
export class DeadlineReachedError extends Error {
  override readonly name = 'DeadlineReachedError';
  constructor() {
    super('the relay request reached its deadline');
  }
}

/**
 * A search that had not finished when its request's deadline came.
 * `waitingForLimits` says whether it was waiting for a slot or for the rate
 * budget (spec §9: the answer's code is then `too many requests`) rather
 * than for Qualys itself (`connection error`).
 */
export class SearchDeadlineError extends Error {
  override readonly name = 'SearchDeadlineError';
  constructor(readonly waitingForLimits: boolean) {
    super('the search did not finish before the request deadline');
  }
}
