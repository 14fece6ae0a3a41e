import type { RefusalKind } from './limits/limit-headers.js';
import type { RedisState } from './limits/limit-stores.factory.js';
import type { LimitsObserver } from './limits/qualys-limits.js';
import type { QualysCallOutcome, QualysOperation } from './qualys-status.js';
import type { TokenLookup } from './token-cache.js';

/**
 * Told about every Qualys call (metrics). The client classifies outcomes, so
 * HTTP knowledge stays in this module (house style 5); the observer only
 * counts.
 */
export interface QualysCallObserver extends LimitsObserver {
  /** One HTTP call (each retry is a call), its outcome and duration. */
  call(operation: QualysOperation, outcome: QualysCallOutcome, seconds: number): void;
  tokenLookup(result: TokenLookup): void;
  /** A search began (queued or running); call the returned function when it ends. */
  searchStarted(): () => void;
  /** Qualys refused a call (429/409), by kind (spec §9). */
  refusal(kind: RefusalKind): void;
  /** What the latest answer of a subscription said about its rate budget; undefined when it did not say. */
  budgetRemaining(subscriptionId: string, remaining: number | undefined): void;
  /** Whether the shared state (Redis) is used, and reachable. */
  redisState(state: RedisState): void;
}

/** DI token of the `QualysCallObserver`: `RelayMetrics`, bound in `QualysModule`. */
export const QUALYS_CALL_OBSERVER = Symbol('QUALYS_CALL_OBSERVER');
