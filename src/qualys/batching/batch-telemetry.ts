import type { BatchAnswerOutcome, BatchHooks, SettledBy } from './batch-search-port.js';

/** Told how batches were answered and how observables settled (metrics, spec §12). */
export interface BatchObserver {
  batchAnswered(outcome: BatchAnswerOutcome): void;
  observableSettled(by: SettledBy): void;
}

/** The log lines of batching: never a value, a filter or a user (spec §12). */
export interface BatchLog {
  debug(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Spec §12: at most one line an hour per subscription about events no observable matched. */
export const UNMATCHED_LOG_INTERVAL_MS = 60 * 60 * 1000;

/**
 * When each subscription last logged unmatched events. Bounded: past
 * `maxEntries` the oldest is forgotten (at worst it logs one line early).
 */
export class UnmatchedEventsLog {
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly log: BatchLog,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** Events of `eventType` matched no observable of a batch of `subscriptionId`'s. */
  note(subscriptionId: string, eventType: string | undefined): void {
    const now = this.now();
    const last = this.lastLogged.get(subscriptionId);
    if (last !== undefined && now - last < UNMATCHED_LOG_INTERVAL_MS) return;
    this.lastLogged.delete(subscriptionId);
    this.lastLogged.set(subscriptionId, now);
    if (this.lastLogged.size > this.maxEntries) {
      const oldest = this.lastLogged.keys().next().value;
      if (oldest !== undefined) this.lastLogged.delete(oldest);
    }
    this.log.warn(
      { eventType: eventType ?? 'unknown' },
      'Qualys IOC answered a batched search with events that match none of its observables; they were searched one by one',
    );
  }
}

/** The engine's hooks for one subscription's request: metrics, the debug line, the unmatched log. */
export function batchHooks(
  observer: BatchObserver,
  log: BatchLog,
  unmatched: UnmatchedEventsLog,
  subscriptionId: string,
): BatchHooks {
  return {
    batchAnswered: (outcome) => observer.batchAnswered(outcome),
    observableSettled: (by) => observer.observableSettled(by),
    debug: (line) => log.debug({ batch: line }, 'Batched search answered'),
    unmatchedEvents: (eventType) => unmatched.note(subscriptionId, eventType),
  };
}
