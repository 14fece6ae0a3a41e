/**
 * The state behind spec §9 (slots, rate budget, result cache, coalescing),
 * as narrow stores with two implementations each: in this process (the
 * embedded default) and in Redis (several replicas). The scheduler and the
 * client only see these interfaces; `createLimitStores` picks Redis while it
 * is up and this process's stores while it is not.
 *
 * Identifiers are opaque strings made by `StateKeys`: `subscriptionId` for
 * (API URL, user) — slots and budget — and `credentialsId` plus `cacheKey`
 * for (API URL, user, password) and one search — cache and coalescing.
 */

/** A held concurrency slot of one subscription. */
export interface SlotLease {
  /** Frees the slot and wakes waiters (idempotent; never rejects). */
  release(): Promise<void>;
}

/** What `SubscriptionGate.enter` decided for one call. */
export type GateAnswer =
  /** A slot is held; `probe` when this call is the one probe after a guessed budget block. */
  | { kind: 'granted'; lease: SlotLease; probe: boolean }
  /** All `limit` slots are held (here or by another replica): wait for a release. */
  | { kind: 'full' }
  /** The rate budget is spent: no call before `retryInMs` has passed. */
  | { kind: 'blocked'; retryInMs: number };

/**
 * Concurrency slots and the rate budget of subscriptions. One call to
 * `enter` checks the budget and takes a slot atomically.
 */
export interface SubscriptionGate {
  /**
   * Takes one of `limit` slots of the subscription unless the budget is
   * spent. A slot is a lease that expires after `leaseMs` unless released,
   * so a crashed holder cannot keep it.
   */
  enter(subscriptionId: string, limit: number, leaseMs: number): Promise<GateAnswer>;
  /**
   * Resolves when a slot of the subscription was released (by any holder),
   * after `maxWaitMs`, or when `signal` aborts, whichever comes first. Never
   * rejects: the caller simply tries `enter` again.
   */
  released(subscriptionId: string, maxWaitMs: number, signal?: AbortSignal): Promise<void>;
  /**
   * No call of the subscription for the next `forMs` (a duration, so replicas'
   * clocks need not agree; Redis measures it with its own clock). With `probe`,
   * the end is a guess (Qualys gave no wait): after it, `enter` grants one
   * call flagged `probe` and answers the others `full` — they wait for the
   * probe's slot to be released, by which time its answer has called `clear`
   * or a new `block` — or, if the probe never reports back, until
   * `probeLeaseMs` passes and another call may probe.
   */
  block(subscriptionId: string, forMs: number, probe: boolean, probeLeaseMs: number): Promise<void>;
  /** The budget is not spent (an answer said calls remain): calls may flow again. */
  clear(subscriptionId: string): Promise<void>;
}

/** A cached search answer (spec §9): the events, the page size they were fetched with, and when. */
export interface CachedSearch {
  pageSize: number;
  /** The events as Qualys sent them: a JSON array. */
  eventsJson: string;
  /** Epoch ms when Qualys answered: a verdict built from the entry starts then (spec §13). */
  fetchedAt: number;
}

/** Search answers by credentials and search (filter, state, page; not page size). */
export interface ResultStore {
  get(credentialsId: string, cacheKey: string): Promise<CachedSearch | undefined>;
  /** Keeps `value` for `ttlMs`; failures are swallowed (a cache write never fails a request). */
  set(credentialsId: string, cacheKey: string, value: CachedSearch, ttlMs: number): Promise<void>;
}

/**
 * Coalescing of identical searches across replicas (within one process, the
 * `SearchSharing` shares one promise and never asks this store). The owner of a
 * search calls Qualys and fills the cache; the others wait for it.
 */
export interface InflightStore {
  /** True when the caller now owns the search; ownership lapses after `ttlMs`. */
  claim(credentialsId: string, coalesceKey: string, ttlMs: number): Promise<boolean>;
  /** The owner is done (result cached, or failed): frees the claim and wakes waiters. */
  finish(credentialsId: string, coalesceKey: string): Promise<void>;
  /**
   * Resolves when the owner of the search finished, after `maxWaitMs`, or
   * when `signal` aborts. Never rejects.
   */
  finished(
    credentialsId: string,
    coalesceKey: string,
    maxWaitMs: number,
    signal?: AbortSignal,
  ): Promise<void>;
}
