import type { RelayContext } from '../../auth/relay-context.js';
import type { RelayConfig } from '../../config/relay-config.js';
import type { QualysStatusClass } from '../qualys-status.js';
import {
  budgetBlock,
  readLimitHeaders,
  refusalKind,
  type LimitRefusal,
  type RefusalKind,
} from './limit-headers.js';
import type { LimitStores } from './limit-stores.factory.js';
import { MemoryBudget } from './memory-budget.js';
import type { RequestShare } from './relay-request-scope.js';
import {
  SearchSharing,
  type CachedEvents,
  type CacheLookup,
  type SearchAnswer,
  type SearchProgress,
  type SharingKeys,
} from './search-sharing.js';
import {
  SubscriptionScheduler,
  type SchedulerObserver,
  type SlotGrant,
} from './subscription-scheduler.js';
import { WorkAdmission } from './work-admission.js';

// What the rest of qualys/ needs of limits/ besides this façade (test/import-boundaries.spec.ts).
export type { LimitRefusal } from './limit-headers.js';
export type { RedisState } from './limit-stores.factory.js';
export { MemoryWaitAbortedError } from './memory-budget.js';
export { SharedSearchLeftError, type SearchAnswer, type SearchProgress } from './search-sharing.js';
export { BudgetSpentError, SlotWaitAbortedError } from './subscription-scheduler.js';

/** Told about the limits machinery (metrics): cache lookups, refusals, the budget, queue depth. */
export interface LimitsObserver extends SchedulerObserver {
  cacheLookup(result: CacheLookup): void;
  /** Qualys refused a call (429/409), by kind (spec §9). */
  refusal(kind: RefusalKind): void;
  /** What the latest answer of a subscription said about its rate budget; undefined when it did not say. */
  budgetRemaining(subscriptionId: string, remaining: number | undefined): void;
}

/** A search as the limits see it: whose subscription, and what may be shared. */
export interface SearchKeys {
  subscriptionId: string;
  sharing: SharingKeys;
}

/** The page of a search; the relay asks for the first page only (spec §5). */
const FIRST_PAGE = 0;

/**
 * Spec §9 in one place for the client: the state stores (this process's or
 * Redis), the per-subscription scheduler over them, and search sharing
 * (coalescing and the result cache). Spec §15: the process's bounds on work
 * and memory in flight. Built once per application; the client asks it,
 * never its parts.
 */
export class QualysLimits {
  /** The process-wide memory budget (spec §15). */
  readonly memory: MemoryBudget;
  private readonly scheduler: SubscriptionScheduler;
  private readonly sharing: SearchSharing;
  private readonly admission: WorkAdmission;
  private readonly maxConcurrency: number;
  /** How long one probe call may take before another caller may probe instead. */
  private readonly probeLeaseMs: number;
  private readonly launchWindow: number;
  /** Subscription and credential ids per request context: HMACs are computed once per request. */
  private readonly contextIds = new WeakMap<
    RelayContext,
    { subscriptionId: string; credentialsId: string }
  >();

  constructor(
    private readonly stores: LimitStores,
    config: RelayConfig,
    private readonly observer?: LimitsObserver,
  ) {
    this.scheduler = new SubscriptionScheduler(stores.gate, {
      globalCap: config.qualys.concurrency,
      defaultLimit: config.qualys.subscriptionConcurrency,
      // A lease outlives the longest call, so a slot is never lost while a call runs.
      leaseMs: config.qualys.timeoutMs + 5000,
      observer,
    });
    this.admission = new WorkAdmission(config.maxPendingSearches);
    this.memory = new MemoryBudget(config.memoryBudgetBytes);
    this.sharing = new SearchSharing(
      stores.results,
      stores.inflight,
      config.qualys.cacheTtlMs,
      observer ? (result) => observer.cacheLookup(result) : undefined,
    );
    this.maxConcurrency = config.qualys.subscriptionConcurrencyMax;
    this.probeLeaseMs = config.qualys.timeoutMs + 1000;
    this.launchWindow = config.qualys.concurrency;
  }

  /** A relay request's share of the process: its items' units reserved (spec §15). */
  shareFor(items: number, unitsPerItem: number): RequestShare {
    return {
      reservation: this.admission.reserve(items, unitsPerItem),
      memory: this.memory,
      launchWindow: this.launchWindow,
    };
  }

  /** Whose subscription and credentials a relay context is (keyed HMACs, computed once per context). */
  idsOf(relayContext: RelayContext): { subscriptionId: string; credentialsId: string } {
    let ids = this.contextIds.get(relayContext);
    if (ids === undefined) {
      const { user, pass } = relayContext.credentials;
      ids = {
        subscriptionId: this.stores.keys.subscriptionId(relayContext.apiUrl, user),
        credentialsId: this.stores.keys.credentialsId(relayContext.apiUrl, user, pass),
      };
      this.contextIds.set(relayContext, ids);
    }
    return ids;
  }

  keysOf(
    relayContext: RelayContext,
    search: { filter?: string; active: boolean; pageSize: number },
  ): SearchKeys {
    const ids = this.idsOf(relayContext);
    const { filter, active, pageSize } = search;
    return {
      subscriptionId: ids.subscriptionId,
      sharing: {
        credentialsId: ids.credentialsId,
        cacheKey: this.stores.keys.cacheKey(filter, active, FIRST_PAGE),
        coalesceKey: this.stores.keys.coalesceKey(filter, active, pageSize, FIRST_PAGE),
      },
    };
  }

  /** A cached answer that covers `pageSize` (search-sharing.ts). */
  cached(keys: SearchKeys, pageSize: number): Promise<CachedEvents | undefined> {
    return this.sharing.cached(keys.sharing, pageSize);
  }

  /**
   * `fetch` once for every identical search meanwhile, here and on other
   * replicas, cached; a batch's only here, and not cached (search-sharing.ts).
   */
  share(
    keys: SearchKeys,
    signal: AbortSignal | undefined,
    fetch: (signal: AbortSignal, progress: SearchProgress) => Promise<SearchAnswer>,
    remainingMs: number,
    batch = false,
  ): Promise<SearchAnswer> {
    return this.sharing.share(keys.sharing, signal, fetch, remainingMs, batch);
  }

  /** Whether answers are cached at all (`QUALYS_CACHE_TTL_SEC` > 0). */
  get cacheEnabled(): boolean {
    return this.sharing.cacheEnabled;
  }

  /** Caches an answer for the search `keys` name, as if it had run (spec §12). */
  store(keys: SearchKeys, answer: Omit<SearchAnswer, 'events'>): Promise<void> {
    return this.sharing.store(keys.sharing, answer);
  }

  /** Waits for a slot of the subscription for a call of `request` (subscription-scheduler.ts). */
  slot(
    subscriptionId: string,
    request: object,
    signal: AbortSignal | undefined,
    front: boolean,
  ): Promise<SlotGrant> {
    return this.scheduler.acquire(subscriptionId, request, signal, front);
  }

  /**
   * What an answer says about the subscription (spec §9), learned before
   * its slot frees so the next call already follows it: the concurrency
   * limit, whether the rate budget is spent (a probe's answer clears or
   * renews the block its waiters wait on). Returns what a refused call
   * (429/409) ran into, when its headers say.
   */
  learn(
    subscriptionId: string,
    statusClass: QualysStatusClass,
    headers: Record<string, unknown>,
    probe: boolean,
  ): LimitRefusal | undefined {
    const limits = readLimitHeaders(headers, this.maxConcurrency);
    if (limits.concurrencyLimit !== undefined)
      this.scheduler.learnLimit(subscriptionId, limits.concurrencyLimit);
    if (limits.remaining !== undefined)
      this.observer?.budgetRemaining(subscriptionId, limits.remaining);
    if (statusClass === 'rate_limited') {
      const kind = refusalKind(limits);
      this.observer?.refusal(kind);
      if (kind === 'concurrency') return { kind };
      if (kind === 'rate') return { kind, block: budgetBlock(limits) };
      return undefined;
    }
    if (statusClass !== 'success' && statusClass !== 'not_found') return undefined;
    this.scheduler.answered(subscriptionId);
    if (limits.remaining === 0) void this.block(subscriptionId, budgetBlock(limits));
    else if (probe) void this.stores.gate.clear(subscriptionId);
    return undefined;
  }

  /** Qualys refused a call for concurrency: the subscription pauses briefly (subscription-scheduler.ts). */
  refusedForConcurrency(subscriptionId: string): void {
    this.scheduler.refusedForConcurrency(subscriptionId);
  }

  /** Spec §9: the budget is spent; no call of this subscription until the window reopens. */
  block(subscriptionId: string, block: { forMs: number; probe: boolean }): Promise<void> {
    return this.stores.gate.block(subscriptionId, block.forMs, block.probe, this.probeLeaseMs);
  }

  async close(): Promise<void> {
    this.scheduler.close();
    await this.stores.close();
  }
}
