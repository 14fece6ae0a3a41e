import { untilAborted } from '../../common/abort.js';
import { parseJsonArray } from '../../common/json-array.js';
import type { CachedSearch, InflightStore, ResultStore } from './limit-stores.js';

/** Where one search's answer may be shared: its credentials and the search itself (keyed HMACs). */
export interface SharingKeys {
  credentialsId: string;
  /** Filter, state and page: the cache key (spec §9: any page size that covers the request). */
  cacheKey: string;
  /** Filter, state, page size and page: the coalescing key. */
  coalesceKey: string;
}

/** A search answer as Qualys sent it: the page size asked for, the JSON array text and when. */
export interface SearchAnswer {
  pageSize: number;
  eventsJson: string;
  /** Epoch ms when Qualys answered (spec §13: a verdict's valid_time starts then). */
  fetchedAt: number;
  /** The array, parsed once: from Qualys's answer by the client, from a stored one here. */
  events: unknown[];
}

/**
 * A cached answer's events (the first n asked for), about how many bytes of
 * the answer's text they are (spec §15), and when Qualys answered them (spec §13).
 */
export interface CachedEvents {
  events: unknown[];
  bytes: number;
  fetchedAt: number;
}

/** What a search was doing, for the request deadline's error code (spec §9). */
export interface SearchProgress {
  waitingForLimits: boolean;
}

export type CacheLookup = 'hit' | 'miss' | 'coalesced';

/** The caller stopped waiting for a shared search (its signal aborted). */
export class SharedSearchLeftError extends Error {
  override readonly name = 'SharedSearchLeftError';
  constructor(readonly waitingForLimits: boolean) {
    super('left a shared search');
  }
}

interface Shared {
  readonly promise: Promise<SearchAnswer>;
  readonly controller: AbortController;
  readonly progress: SearchProgress;
  joiners: number;
  /** The call is over (answered or failed). */
  settled: boolean;
}

/**
 * Spec §9 coalescing and result cache. Identical searches in flight (same
 * credentials, filter, state, page size, page) share one call, within this
 * process through one promise and across replicas through the in-flight
 * store; answers are cached per credentials, so two users never share one.
 * The client has fetched the caller's token before it gets here: a wrong
 * password never joins or reads anything.
 */
export class SearchSharing {
  private readonly inflight = new Map<string, Shared>();

  constructor(
    private readonly results: ResultStore,
    private readonly replicas: InflightStore,
    private readonly ttlMs: number,
    private readonly onLookup?: (result: CacheLookup) => void,
  ) {}

  get cacheEnabled(): boolean {
    return this.ttlMs > 0;
  }

  /**
   * A cached answer that covers `pageSize`: fetched with at least that page
   * size, or complete (fewer events than its page size). First n events,
   * and about how many bytes of the answer's text they are.
   */
  async cached(keys: SharingKeys, pageSize: number): Promise<CachedEvents | undefined> {
    if (!this.cacheEnabled) return undefined;
    const entry = await this.results.get(keys.credentialsId, keys.cacheKey);
    const events = entry === undefined ? undefined : parseStored(entry);
    if (entry === undefined || events === undefined) return undefined;
    if (entry.pageSize < pageSize && events.length >= entry.pageSize) return undefined;
    this.onLookup?.('hit');
    const { fetchedAt } = entry;
    const bytes = entry.eventsJson.length;
    if (events.length <= pageSize) return { events, bytes, fetchedAt };
    return {
      events: events.slice(0, pageSize),
      bytes: Math.ceil((bytes * pageSize) / events.length),
      fetchedAt,
    };
  }

  /**
   * Caches `answer` as the answer of the search `keys` name, as if that
   * search had run (spec §12: an observable settled by a batch).
   */
  async store(keys: SharingKeys, answer: Omit<SearchAnswer, 'events'>): Promise<void> {
    if (!this.cacheEnabled) return;
    const { pageSize, eventsJson, fetchedAt } = answer;
    await this.results.set(
      keys.credentialsId,
      keys.cacheKey,
      { pageSize, eventsJson, fetchedAt },
      this.ttlMs,
    );
  }

  /**
   * Runs `fetch` once for every identical search asking meanwhile, here and
   * on other replicas, and caches its answer. The shared call is aborted
   * only when every caller has left; a caller whose `signal` aborts leaves
   * at once with `SharedSearchLeftError`. A batch (spec §12) is shared in
   * this process only and never cached: what it settles is cached per
   * observable instead.
   */
  share(
    keys: SharingKeys,
    signal: AbortSignal | undefined,
    fetch: (signal: AbortSignal, progress: SearchProgress) => Promise<SearchAnswer>,
    remainingMs: number,
    batch = false,
  ): Promise<SearchAnswer> {
    const key = `${keys.credentialsId}:${batch ? 'batch:' : ''}${keys.coalesceKey}`;
    let shared = this.inflight.get(key);
    // A batch is no cache lookup: its observables were looked up one by one.
    const onLookup = batch ? undefined : this.onLookup;
    if (shared === undefined) {
      onLookup?.('miss');
      const controller = new AbortController();
      const progress: SearchProgress = { waitingForLimits: false };
      const created: Shared = {
        promise: (batch
          ? fetch(controller.signal, progress)
          : this.fetchOnce(keys, controller.signal, progress, fetch, remainingMs)
        ).finally(() => {
          created.settled = true;
          this.inflight.delete(key);
        }),
        controller,
        progress,
        joiners: 0,
        settled: false,
      };
      shared = created;
      this.inflight.set(key, shared);
    } else {
      onLookup?.('coalesced');
    }
    return this.join(shared, signal);
  }

  /** Across replicas: the owner of the search calls Qualys; the others wait for its cached answer. */
  private async fetchOnce(
    keys: SharingKeys,
    signal: AbortSignal,
    progress: SearchProgress,
    fetch: (signal: AbortSignal, progress: SearchProgress) => Promise<SearchAnswer>,
    remainingMs: number,
  ): Promise<SearchAnswer> {
    const { credentialsId, coalesceKey } = keys;
    const owner =
      !this.cacheEnabled || (await this.replicas.claim(credentialsId, coalesceKey, remainingMs));
    if (!owner) {
      // Another replica's call may itself be waiting for a slot or the budget.
      progress.waitingForLimits = true;
      await this.replicas.finished(credentialsId, coalesceKey, remainingMs, signal);
      progress.waitingForLimits = false;
      const entry = await this.results.get(credentialsId, keys.cacheKey);
      const events = entry === undefined ? undefined : parseStored(entry);
      if (entry !== undefined && events !== undefined) return { ...entry, events };
      // The owner failed or vanished (errors are never cached): search ourselves.
    }
    try {
      const answer = await fetch(signal, progress);
      await this.store(keys, answer);
      return answer;
    } finally {
      if (owner && this.cacheEnabled) await this.replicas.finish(credentialsId, coalesceKey);
    }
  }

  private join(shared: Shared, signal: AbortSignal | undefined): Promise<SearchAnswer> {
    shared.joiners++;
    const leave = (): void => {
      // Aborting a finished call would only build an AbortError (a stack trace) for nothing.
      if (--shared.joiners === 0 && !shared.settled) shared.controller.abort();
    };
    if (signal === undefined) return shared.promise.finally(leave);
    let left = false;
    // The error says whether the shared call was waiting for limits when the caller left.
    return untilAborted(shared.promise, signal, () => {
      left = true;
      leave();
      return new SharedSearchLeftError(shared.progress.waitingForLimits);
    }).finally(() => {
      if (!left) leave();
    });
  }
}

/** A stored answer holds at most the page size it was fetched with; anything else is a miss. */
function parseStored(entry: CachedSearch): unknown[] | undefined {
  const parsed = parseJsonArray(entry.eventsJson, entry.pageSize);
  return parsed.ok ? parsed.elements : undefined;
}
