import type { RelayContext } from '../auth/relay-context.js';
import type { SupportedObservable } from '../common/observable.js';
import type { BatchHooks, ObservableToSearch, StateOutcome } from './batching/batch-search-port.js';
import { BatchedSearches } from './batching/batched-searches.js';
import type { InFlightObservables } from './batching/in-flight-observables.js';
import type { LearnedBatchSizes } from './batching/learned-batch-sizes.js';
import type { RelayRequestScope } from './limits/relay-request-scope.js';
import type { QualysClient } from './qualys.client.js';
import { buildSearchFilter } from './search-filter.js';

/** What a relay request asks of the searches of its observables (spec §5, §12). */
export interface ObservableSearchOptions {
  request: RelayRequestScope;
  /** A state of observable `index` is final: its events, or its error. Called once per state. */
  finished(index: number, active: boolean, outcome: StateOutcome): void;
  /** Whether an error ends the observable: its other state is not searched further. */
  endsObservable(error: unknown): boolean;
  /** What ends observable `index`'s own searches early (its other state failed, or it was left out). */
  signalOf(index: number): AbortSignal;
}

/** What the process shares between requests for batching (spec §12), and its hooks. */
export interface BatchingShared {
  batchSize: number;
  learned: LearnedBatchSizes;
  inFlight: InFlightObservables;
  /** Metrics and logs of the engine, for the subscription `subscriptionId`. */
  hooks(subscriptionId: string): BatchHooks;
}

/** Cache lookups in flight at once before batching: Redis round trips overlap, memory stays flat. */
const LOOKUPS_AT_ONCE = 32;

/**
 * Spec §12: the searches of one request's observables. Each observable and
 * state is first looked up in the cache (token first, spec §9); what is
 * left is searched by the batching engine, every search of which is the
 * client's, under the subscription's limits. Every state of every
 * observable ends in exactly one `finished` call.
 */
export class ObservableSearches {
  private engine: BatchedSearches | undefined;
  /** Observables left out before the engine started. */
  private readonly leftOut = new Map<number, unknown>();

  constructor(
    private readonly client: QualysClient,
    private readonly relayContext: RelayContext,
    private readonly observables: readonly SupportedObservable[],
    private readonly options: ObservableSearchOptions,
    private readonly shared: BatchingShared,
  ) {}

  async run(): Promise<void> {
    const wanted = await this.fromCache();
    const { request } = this.options;
    const { subscriptionId, credentialsId } = this.client.idsOf(this.relayContext);
    const { batchSize, learned, inFlight } = this.shared;
    const limit = this.relayContext.entitiesLimit;
    // Every observable goes in, cached ones with no state to search: the engine's
    // positions are the request's, and duplicates are told across all of them.
    const engine = new BatchedSearches(wanted, {
      port: {
        search: (search, signal) =>
          this.client.searchBatch(this.relayContext, search, request, signal),
      },
      limit,
      batchSize,
      maxInFlight: request.launchWindow,
      signal: request.signal,
      signalOf: (index) => this.options.signalOf(index),
      learned: { sizes: learned, subscriptionId },
      // Batching off (size 1): identical searches still coalesce through the limits (spec §9).
      ...(batchSize > 1 ? { inFlight: { registry: inFlight, credentialsKey: credentialsId } } : {}),
      hooks: {
        ...this.shared.hooks(subscriptionId),
        settledByBatch: (observable, active, events, fetchedAt) => {
          const search = { filter: buildSearchFilter(observable), active, pageSize: limit };
          // An entry that could not be written costs a later search, nothing else.
          this.client.cacheSettled(this.relayContext, search, events, fetchedAt).catch(() => {});
        },
        finished: (index, active, outcome) => this.options.finished(index, active, outcome),
      },
      endsObservable: (error) => this.options.endsObservable(error),
    });
    this.engine = engine;
    for (const [index, error] of this.leftOut) engine.abandon(index, error);
    await engine.run();
  }

  /** Spec §15: observable `index` was left out of the answer; its searches end. */
  abandon(index: number, error: unknown): void {
    if (this.engine === undefined) this.leftOut.set(index, error);
    else this.engine.abandon(index, error);
  }

  /** Spec §12 "Who is batched": after the cache. States found there, or failed, are final at once. */
  private async fromCache(): Promise<ObservableToSearch[]> {
    const wanted = this.observables.map((observable): ObservableToSearch => ({ observable }));
    if (!this.client.cacheEnabled) return wanted;
    for (let from = 0; from < wanted.length; from += LOOKUPS_AT_ONCE) {
      const chunk = wanted.slice(from, from + LOOKUPS_AT_ONCE);
      await Promise.all(chunk.map((item, offset) => this.lookUp(from + offset, item)));
    }
    return wanted;
  }

  private async lookUp(index: number, item: ObservableToSearch): Promise<void> {
    if (this.leftOut.has(index)) return;
    const { request } = this.options;
    const filter = buildSearchFilter(item.observable);
    const pageSize = this.relayContext.entitiesLimit;
    for (const active of [true, false]) {
      let found;
      try {
        found = await this.client.cachedSearch(this.relayContext, {
          active,
          pageSize,
          filter,
          request,
        });
      } catch (error) {
        // What a search of it would have ended in (the token, the deadline).
        const states = this.options.endsObservable(error) ? [true, false] : [active];
        for (const state of states) this.done(index, item, state, { kind: 'failed', error });
        if (states.length === 2) return;
        continue;
      }
      if (found === undefined) continue;
      this.done(index, item, active, { kind: 'settled', ...found, by: 'own-search' });
      if (active) item.cachedActiveEvents = found.events.length;
    }
  }

  private done(
    index: number,
    item: ObservableToSearch,
    active: boolean,
    outcome: StateOutcome,
  ): void {
    if (active) item.searchActive = false;
    else item.searchHistorical = false;
    this.options.finished(index, active, outcome);
  }
}
