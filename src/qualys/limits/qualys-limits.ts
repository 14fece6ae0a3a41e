import type { RelayContext } from '../../auth/relay-context.js';
import type { RelayConfig } from '../../config/relay-config.js';
import type { LimitStores } from './limit-stores.factory.js';
import { MemoryBudget } from './memory-budget.js';
import { SearchSharing, type CacheLookup, type SearchIdentity } from './search-sharing.js';
import { SubscriptionScheduler, type SchedulerObserver } from './subscription-scheduler.js';
import { WorkAdmission } from './work-admission.js';

/** Told about the limits machinery (metrics): cache lookups; the scheduler's queue depth. */
export interface LimitsObserver extends SchedulerObserver {
  cacheLookup(result: CacheLookup): void;
}

/** A search as the limits see it: whose subscription, and what may be shared. */
export interface SearchKeys {
  subscriptionId: string;
  identity: SearchIdentity;
}

/** The page of a search; the relay asks for the first page only (spec §5). */
const FIRST_PAGE = 0;

/**
 * Spec §9 in one place for the client: the state stores (this process's or
 * Redis), the per-subscription scheduler over them, and search sharing
 * (coalescing and the result cache). Spec §15: the process's bounds on work
 * and memory in flight. Built once per application.
 */
export class QualysLimits {
  readonly scheduler: SubscriptionScheduler;
  readonly sharing: SearchSharing;
  readonly admission: WorkAdmission;
  readonly memory: MemoryBudget;
  /** Subscription and credential ids per request context: HMACs are computed once per request. */
  private readonly contextIds = new WeakMap<
    RelayContext,
    { subscriptionId: string; credentialsId: string }
  >();

  constructor(
    readonly stores: LimitStores,
    config: RelayConfig,
    observer?: LimitsObserver,
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
  }

  keysOf(
    context: RelayContext,
    search: { filter?: string; active: boolean; pageSize: number },
  ): SearchKeys {
    let ids = this.contextIds.get(context);
    if (ids === undefined) {
      const { user, pass } = context.credentials;
      ids = {
        subscriptionId: this.stores.keys.subscriptionId(context.apiUrl, user),
        credentialsId: this.stores.keys.credentialsId(context.apiUrl, user, pass),
      };
      this.contextIds.set(context, ids);
    }
    return {
      subscriptionId: ids.subscriptionId,
      identity: {
        credentialsId: ids.credentialsId,
        searchId: this.stores.keys.searchId(search.filter, search.active, FIRST_PAGE),
        searchKey: this.stores.keys.searchKey(
          search.filter,
          search.active,
          search.pageSize,
          FIRST_PAGE,
        ),
      },
    };
  }

  async close(): Promise<void> {
    this.scheduler.close();
    await this.stores.close();
  }
}
