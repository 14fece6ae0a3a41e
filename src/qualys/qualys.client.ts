import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { RelayContext } from '../auth/relay-context.js';
import { linkSignals } from '../common/abort.js';
import type { SupportedObservable } from '../common/observable.js';
import { ErrorCode, RelayError } from '../common/relay-error.js';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { QualysConfig } from '../config/relay-config.js';
import type { BatchAnswer, BatchSearch } from './batching/batch-search-port.js';
import { batchHooks, UnmatchedEventsLog } from './batching/batch-telemetry.js';
import { InFlightObservables } from './batching/in-flight-observables.js';
import { LearnedBatchSizes } from './batching/learned-batch-sizes.js';
import { CallDeadline } from './call-deadline.js';
import { onlyObjects, resultOf } from './events-answer.js';
import { LimitedSearch } from './limited-search.js';
import {
  QualysLimits,
  SharedSearchLeftError,
  type SearchKeys,
  type SearchProgress,
} from './limits/qualys-limits.js';
import { RelayRequestScope, SearchDeadlineError } from './limits/relay-request-scope.js';
import {
  ObservableSearches,
  type BatchingShared,
  type ObservableSearchOptions,
} from './observable-searches.js';
import { QualysAuthenticator } from './qualys-auth.js';
import { QUALYS_CALL_OBSERVER, type QualysCallObserver } from './qualys-call-observer.js';
import {
  AnswerTooLargeError,
  BatchRefusedError,
  connectionError,
  deadlineReached,
} from './qualys-errors.js';
import type { QualysEvent } from './qualys-event.js';
import type { RequestWork, SearchOptions, SearchResult, SearchRun } from './search-options.js';

// The types of this façade's API, so that callers need no other file of qualys/.
export { RelayRequestScope, SearchDeadlineError } from './limits/relay-request-scope.js';
export type { RequestWork, SearchOptions, SearchResult } from './search-options.js';
export type { StateOutcome } from './batching/batch-search-port.js';
export type { ObservableSearches, ObservableSearchOptions } from './observable-searches.js';

/**
 * The relay's only door to Qualys IOC, and the only place that knows HTTP
 * status codes and transport errors (house style 5). Everything above it sees
 * events or `RelayError`s with spec §7 codes. Every search goes through the
 * spec §9 limits: token first, then the cache, a coalesced call, and a slot
 * of the caller's subscription. This class orchestrates; the layers below
 * it are `QualysAuthenticator` (the token), `QualysCaller` (one call),
 * `nextStep` (what a refusal or failure leads to) and `QualysLimits`.
 */
@Injectable()
export class QualysClient implements OnApplicationShutdown {
  private readonly config: QualysConfig;
  private readonly deadlineMs: number;
  /** What batching shares between requests in this process (spec §12). */
  private readonly batching: BatchingShared;

  constructor(
    settings: ConfigService<RelaySettings, true>,
    private readonly auth: QualysAuthenticator,
    private readonly limited: LimitedSearch,
    private readonly limits: QualysLimits,
    @Inject(QUALYS_CALL_OBSERVER) private readonly observer: QualysCallObserver,
  ) {
    const config = settings.get('relay', { infer: true });
    this.config = config.qualys;
    this.deadlineMs = config.deadlineMs;
    const log = new Logger('QualysBatching');
    const unmatched = new UnmatchedEventsLog(log);
    this.batching = {
      batchSize: config.qualys.batchSize,
      learned: new LearnedBatchSizes(),
      inFlight: new InFlightObservables(),
      hooks: (subscriptionId) => batchHooks(observer, log, unmatched, subscriptionId),
    };
  }

  /**
   * A relay request's scope: every search of it answers by `RELAY_DEADLINE_MS`
   * (spec §9). With `work`, it reserves the units of as many items as the
   * process admits (spec §15; `scope.admitted`).
   */
  beginRequest(work?: RequestWork): RelayRequestScope {
    if (work === undefined) return new RelayRequestScope(this.deadlineMs);
    return new RelayRequestScope(
      this.deadlineMs,
      Date.now(),
      this.limits.shareFor(work.items, work.unitsPerItem),
    );
  }

  /**
   * The searches of a request's observables, both states each: from the
   * cache, else batched (spec §12). `run()` ends when every state has ended.
   */
  searchObservables(
    relayContext: RelayContext,
    observables: readonly SupportedObservable[],
    options: ObservableSearchOptions,
  ): ObservableSearches {
    return new ObservableSearches(this, relayContext, observables, options, this.batching);
  }

  /** `GET /ioc/events` under the subscription's limits; 400/404 mean "nothing found" (spec §7). */
  searchEvents(relayContext: RelayContext, options: SearchOptions): Promise<SearchResult> {
    return this.withinDeadline(relayContext, options, (deadline, progress) =>
      this.search(relayContext, options, deadline, progress),
    );
  }

  /**
   * Spec §12: one search of the batching engine. An observable's own search
   * is `searchEvents`; a batch's refusal (400/413/414) and an answer over the
   * size cap are answers of their own, which the engine splits or re-batches.
   */
  async searchBatch(
    relayContext: RelayContext,
    search: BatchSearch,
    request: RelayRequestScope,
    signal?: AbortSignal,
  ): Promise<BatchAnswer> {
    // Still waiting for its turn at the deadline: waiting for limits (spec §9).
    if (request.expired) throw new SearchDeadlineError(true);
    const { filter, active, pageSize, observables } = search;
    try {
      const found = await this.searchEvents(relayContext, {
        active,
        pageSize,
        filter,
        request,
        signal,
        observables,
      });
      return { kind: 'events', ...found };
    } catch (error) {
      if (observables > 1 && error instanceof BatchRefusedError)
        return { kind: 'refused', status: error.status };
      if (observables > 1 && error instanceof AnswerTooLargeError) return { kind: 'too-large' };
      throw error;
    }
  }

  /**
   * Spec §12: the cached answer of an observable's own search, looked up
   * before batching — token first, as for a search (spec §9).
   */
  cachedSearch(
    relayContext: RelayContext,
    options: Pick<SearchOptions, 'active' | 'pageSize' | 'filter' | 'request'>,
  ): Promise<SearchResult | undefined> {
    if (!this.cacheEnabled) return Promise.resolve(undefined);
    return this.withinDeadline(relayContext, options, async (deadline) => {
      await this.auth.session(relayContext, deadline);
      return this.cached(this.limits.keysOf(relayContext, options), options.pageSize);
    });
  }

  /** Spec §12: an observable settled by a batch, cached as if its own search had run. */
  async cacheSettled(
    relayContext: RelayContext,
    search: { filter: string; active: boolean; pageSize: number },
    events: readonly QualysEvent[],
    fetchedAt: number,
  ): Promise<void> {
    const keys = this.limits.keysOf(relayContext, search);
    const eventsJson = JSON.stringify(events);
    await this.limits.store(keys, { pageSize: search.pageSize, eventsJson, fetchedAt });
  }

  /** Whose subscription and credentials a relay context searches with (spec §9, §12). */
  idsOf(relayContext: RelayContext): { subscriptionId: string; credentialsId: string } {
    return this.limits.idsOf(relayContext);
  }

  /** Whether search answers are cached at all (`QUALYS_CACHE_TTL_SEC` > 0). */
  get cacheEnabled(): boolean {
    return this.limits.cacheEnabled;
  }

  /**
   * Runs `work` within the search's call deadline, which never outlives its
   * request's (spec §9), and turns giving up at that deadline into
   * `SearchDeadlineError`.
   */
  private async withinDeadline<T>(
    relayContext: RelayContext,
    options: Pick<SearchOptions, 'request' | 'signal'>,
    work: (deadline: CallDeadline, progress: SearchProgress) => Promise<T>,
  ): Promise<T> {
    const { request } = options;
    const linked = linkSignals(request.signal, options.signal);
    const deadline = new CallDeadline(
      Math.min(this.config.budgetMs, request.remainingMs()),
      linked.signal,
    );
    const progress: SearchProgress = { waitingForLimits: false };
    const searchEnded = this.observer.searchStarted();
    try {
      return await work(deadline, progress);
    } catch (error) {
      // The deadline of a late search ends with its request's deadline, so a
      // call timing out then is the deadline too, whichever timer fired first.
      const late = request.expired || request.remainingMs() <= 0;
      const gaveUp =
        error instanceof SharedSearchLeftError ||
        (error instanceof RelayError && error.code === ErrorCode.CONNECTION);
      if (late && gaveUp) {
        const waiting =
          error instanceof SharedSearchLeftError
            ? error.waitingForLimits
            : progress.waitingForLimits;
        throw new SearchDeadlineError(waiting);
      }
      // The caller's own signal ended its wait for a shared search: the same
      // error as when it ends a call or the wait for the token.
      if (error instanceof SharedSearchLeftError) throw connectionError(relayContext.apiUrl);
      throw error;
    } finally {
      linked.release();
      searchEnded();
    }
  }

  /** Spec §2 `/health`: one search of active events with page size 1, never from the cache. */
  async checkAccess(relayContext: RelayContext): Promise<void> {
    const request = this.beginRequest();
    try {
      await this.searchEvents(relayContext, { active: true, pageSize: 1, request, fresh: true });
    } catch (error) {
      if (error instanceof SearchDeadlineError) throw deadlineReached(error.waitingForLimits);
      throw error;
    } finally {
      request.end();
    }
  }

  /** After the graceful drain (health/graceful-shutdown.ts): no request needs the limits any more. */
  async onApplicationShutdown(): Promise<void> {
    await this.limits.close();
  }

  private async search(
    relayContext: RelayContext,
    options: SearchOptions,
    deadline: CallDeadline,
    progress: SearchProgress,
  ): Promise<SearchResult> {
    const query: Record<string, string> = { pageSize: String(options.pageSize) };
    if (options.filter !== undefined) query.filter = options.filter;
    if (options.active) query.state = 'true';
    const version = this.config.apiVersion ? `${this.config.apiVersion}/` : '';
    const url = `${relayContext.apiUrl}/ioc/${version}events`;
    const keys = this.limits.keysOf(relayContext, options);

    // Spec §9: token first. A wrong password gets the /auth error, and never
    // another caller's results or a slot.
    const session = await this.auth.session(relayContext, deadline);
    const observables = options.filter === undefined ? 0 : (options.observables ?? 1);
    const { request } = options;
    const search: SearchRun = { relayContext, url, query, session, keys, request, observables };
    const fetch = (signal: AbortSignal | undefined, shared: SearchProgress) =>
      this.limited.answer(search, signal ? deadline.with(signal) : deadline, shared);
    if (options.fresh) return resultOf(await fetch(undefined, progress));

    // Spec §12: a batch's observables were looked up one by one before it.
    const batch = observables > 1;
    const cached = batch ? undefined : await this.cached(keys, options.pageSize);
    if (cached !== undefined) return cached;
    const shared = this.limits.share(keys, deadline.signal, fetch, deadline.remaining(), batch);
    return resultOf(await shared);
  }

  private async cached(keys: SearchKeys, pageSize: number): Promise<SearchResult | undefined> {
    const cached = await this.limits.cached(keys, pageSize);
    if (cached === undefined) return undefined;
    return { events: onlyObjects(cached.events), bytes: cached.bytes, fetchedAt: cached.fetchedAt };
  }
}
