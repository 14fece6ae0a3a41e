import type { BatchObserver } from './batching/batch-telemetry.js';
import type { LimitsObserver, RedisState } from './limits/qualys-limits.js';
import type { QualysCallOutcome, QualysOperation } from './qualys-status.js';
import type { TokenLookup } from './token-cache.js';

/**
 * Told about every Qualys call (metrics). The client classifies outcomes, so
 * HTTP knowledge stays in this module (house style 5); the observer only
 * counts.
 */
export interface QualysCallObserver extends LimitsObserver, BatchObserver {
  /** One HTTP call (each retry is a call), its outcome, duration and what a trace may show of it. */
  call(
    operation: QualysOperation,
    outcome: QualysCallOutcome,
    seconds: number,
    details?: QualysCallDetails,
  ): void;
  tokenLookup(result: TokenLookup): void;
  /** A search began (queued or running); call the returned function when it ends. */
  searchStarted(): () => void;
  /** Whether the shared state (Redis) is used, and reachable. */
  redisState(state: RedisState): void;
}

/** DI token of the `QualysCallObserver`: `RelayMetrics`, bound in `QualysModule`. */
export const QUALYS_CALL_OBSERVER = Symbol('QUALYS_CALL_OBSERVER');

/**
 * What a trace may show of one Qualys call (spec §14): never its URL,
 * filter, credentials or token.
 */
export interface QualysCallDetails {
  /** The HTTP status, when Qualys answered. */
  status?: number;
  /** Searches: active (`state=true`) or historical events. */
  active?: boolean;
  /** Observables the searched filter names (0: the health check's search of everything). */
  batchSize?: number;
  /** Retries before this call (concurrency refusals, which use none, not counted). */
  retry: number;
  /** Time this call waited for a slot of its subscription, milliseconds. */
  slotWaitMs?: number;
}

/** Records one span per Qualys call; `RelayTracing` provides it when tracing is on. */
export interface QualysCallSpans {
  record(
    operation: QualysOperation,
    outcome: QualysCallOutcome,
    seconds: number,
    details: QualysCallDetails | undefined,
  ): void;
}

/** `observer`, whose every call also becomes a span (spec §14). */
export function withCallSpans(
  observer: QualysCallObserver,
  spans: QualysCallSpans,
): QualysCallObserver {
  return {
    call: (operation, outcome, seconds, details) => {
      observer.call(operation, outcome, seconds, details);
      spans.record(operation, outcome, seconds, details);
    },
    tokenLookup: (result) => observer.tokenLookup(result),
    searchStarted: () => observer.searchStarted(),
    refusal: (kind) => observer.refusal(kind),
    budgetRemaining: (subscriptionId, remaining) =>
      observer.budgetRemaining(subscriptionId, remaining),
    redisState: (state) => observer.redisState(state),
    queueDepth: (delta) => observer.queueDepth(delta),
    cacheLookup: (result) => observer.cacheLookup(result),
    batchAnswered: (outcome) => observer.batchAnswered(outcome),
    observableSettled: (by) => observer.observableSettled(by),
  };
}
