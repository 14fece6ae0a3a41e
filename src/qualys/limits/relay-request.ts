import { setMaxListeners } from 'node:events';

/**
 * One relay request's share of Qualys (spec §9): its deadline, by which it
 * answers with what it has, and its identity as a turn in the subscription
 * queues (requests of one subscription take turns).
 */
export class RelayRequestScope {
  /** Epoch ms at which unfinished searches are dequeued or aborted. */
  readonly deadlineAt: number;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(deadlineMs: number, now: number = Date.now()) {
    // Every search of the request listens to this signal (hundreds for a large
    // request): not a leak, so no MaxListenersExceededWarning per request.
    setMaxListeners(0, this.controller.signal);
    // Stop the searches a little early, so mapping and sending the answer
    // still fit inside the deadline Threat Response waits for.
    const stopAfter = Math.max(1, deadlineMs - answerMarginMs(deadlineMs));
    this.deadlineAt = now + stopAfter;
    this.timer = setTimeout(() => this.controller.abort(new DeadlineReached()), stopAfter);
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

  /** The request answered: no timer outlives it. */
  end(): void {
    clearTimeout(this.timer);
  }
}

/** Time kept back from the deadline for mapping and writing the answer. */
function answerMarginMs(deadlineMs: number): number {
  return Math.min(250, Math.round(deadlineMs * 0.05));
}

/** The abort reason of a request's signal at its deadline. */
export class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
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
