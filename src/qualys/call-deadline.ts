/**
 * The deadline of one logical Qualys call including its retries and waits
 * (`QUALYS_BUDGET_MS`, never past the relay request's deadline), and the
 * caller's signal to give up early. A *deadline* is time; Qualys's rate
 * budget is `BudgetSpentError`'s.
 */
export class CallDeadline {
  private readonly at: number;

  constructor(
    ms: number,
    readonly signal?: AbortSignal,
    private readonly now: () => number = Date.now,
  ) {
    this.at = now() + ms;
  }

  /** Milliseconds left; 0 once the signal aborted. */
  remaining(): number {
    return this.signal?.aborted ? 0 : this.at - this.now();
  }

  /** The same deadline without the caller's signal, for work others may share. */
  unsignalled(): CallDeadline {
    return new CallDeadline(this.remaining(), undefined, this.now);
  }

  /** The same deadline with another signal (a shared search's own). */
  with(signal: AbortSignal): CallDeadline {
    return new CallDeadline(this.remaining(), signal, this.now);
  }
}
