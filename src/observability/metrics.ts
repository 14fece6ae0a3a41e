import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { routeLabel } from './route-label.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** A subscription's budget report counts for the aggregate this long (Qualys's window is an hour). */
const BUDGET_REPORT_TTL_MS = 60 * 60 * 1000;
/** Subscriptions whose budget is remembered for the aggregate; the oldest report goes first. */
const MAX_BUDGET_REPORTS = 1000;
const REDIS_STATES = ['off', 'up', 'down'] as const;

/**
 * The relay's Prometheus metrics. Each application instance owns its
 * registry (no prom-client global), so several apps in one process — tests —
 * never share or double-register series.
 *
 * The methods below the middleware make it the Qualys module's call observer
 * (qualys/qualys-call-observer.ts); `QualysModule` binds it, so the label
 * values are typed there and this file needs nothing from qualys/.
 */
@Injectable()
export class RelayMetrics {
  readonly registry = new Registry();

  private readonly httpRequests = new Counter({
    name: 'relay_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  private readonly httpDuration = new Histogram({
    name: 'relay_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly httpInFlight = new Gauge({
    name: 'relay_http_requests_in_flight',
    help: 'HTTP requests being handled',
    registers: [this.registry],
  });

  private readonly qualysCalls = new Counter({
    name: 'relay_qualys_calls_total',
    help: 'HTTP calls to Qualys IOC (each retry counts), by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly qualysDuration = new Histogram({
    name: 'relay_qualys_call_duration_seconds',
    help: 'Duration of one HTTP call to Qualys IOC, by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });

  private readonly tokenLookups = new Counter({
    name: 'relay_qualys_token_cache_lookups_total',
    help: 'Qualys token cache lookups: hit (cached), miss (fetched), shared (joined a fetch in flight)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly searchesInFlight = new Gauge({
    name: 'relay_qualys_searches_in_flight',
    help: 'Qualys event searches started and not finished (queued or running)',
    registers: [this.registry],
  });

  private readonly queuedCalls = new Gauge({
    name: 'relay_qualys_queued_calls',
    help: 'Qualys calls waiting for a slot of their subscription or of the process-wide cap',
    registers: [this.registry],
  });

  private readonly refusals = new Counter({
    name: 'relay_qualys_refusals_total',
    help: 'Qualys calls refused with 429/409, by kind: concurrency, rate, other',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  private readonly cacheLookups = new Counter({
    name: 'relay_qualys_cache_lookups_total',
    help: 'Search answers: hit (cache), coalesced (joined an identical search in flight), miss (called Qualys)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  private readonly batchAnswers = new Counter({
    name: 'relay_qualys_batch_answers_total',
    help: 'Answers of batched searches, by outcome: settled (every observable), split (some re-batched or halved), alone (some searched one by one), refused (400/413/414: halved)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  private readonly observablesSettled = new Counter({
    name: 'relay_qualys_observables_settled_total',
    help: 'Observable searches (one state of one observable) answered by a batch or by their own search',
    labelNames: ['by'] as const,
    registers: [this.registry],
  });

  /** Latest `X-RateLimit-Remaining` per subscription id (a keyed HMAC, never a user name). */
  private readonly budgetReports = new Map<string, { remaining: number; at: number }>();

  private readonly budgetLowest = new Gauge({
    name: 'relay_qualys_rate_budget_remaining_min',
    help: 'Lowest rate budget Qualys reported in the last hour among the subscriptions in use (calls left in the window)',
    registers: [this.registry],
    collect: () => this.collectBudget(),
  });

  private readonly budgetSubscriptions = new Gauge({
    name: 'relay_qualys_rate_budget_subscriptions',
    help: 'Subscriptions whose rate budget Qualys reported in the last hour',
    registers: [this.registry],
    collect: () => this.collectBudget(),
  });

  private readonly redis = new Gauge({
    name: 'relay_redis_state',
    help: 'Shared state for several replicas: 1 for the current state (off = no Redis configured, up, down = falling back to per-process state)',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.redisState('off');
  }

  /** Express middleware: counts and times every request, by route template. */
  readonly middleware = (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    this.httpInFlight.inc();
    let recorded = false;
    const record = () => {
      if (recorded) return;
      recorded = true;
      this.httpInFlight.dec();
      const labels = {
        method: KNOWN_METHODS.has(request.method) ? request.method : 'OTHER',
        route: routeLabel(request),
        status: String(response.statusCode),
      };
      this.httpRequests.inc(labels);
      this.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    };
    response.once('finish', record);
    response.once('close', record);
    next();
  };

  call(operation: string, outcome: string, seconds: number): void {
    this.qualysCalls.inc({ operation, outcome });
    this.qualysDuration.observe({ operation, outcome }, seconds);
  }

  tokenLookup(result: string): void {
    this.tokenLookups.inc({ result });
  }

  searchStarted(): () => void {
    this.searchesInFlight.inc();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.searchesInFlight.dec();
    };
  }

  queueDepth(delta: 1 | -1): void {
    this.queuedCalls.inc(delta);
  }

  refusal(kind: string): void {
    this.refusals.inc({ kind });
  }

  cacheLookup(result: string): void {
    this.cacheLookups.inc({ result });
  }

  batchAnswered(outcome: string): void {
    this.batchAnswers.inc({ outcome });
  }

  observableSettled(by: string): void {
    // Prometheus label values in snake case, like the other outcomes.
    this.observablesSettled.inc({ by: by === 'own-search' ? 'own_search' : by });
  }

  budgetRemaining(subscriptionId: string, remaining: number | undefined): void {
    this.budgetReports.delete(subscriptionId);
    if (remaining === undefined) return;
    this.budgetReports.set(subscriptionId, { remaining, at: Date.now() });
    if (this.budgetReports.size > MAX_BUDGET_REPORTS) {
      const oldest = this.budgetReports.keys().next().value;
      if (oldest !== undefined) this.budgetReports.delete(oldest);
    }
  }

  redisState(state: (typeof REDIS_STATES)[number]): void {
    for (const each of REDIS_STATES) this.redis.set({ state: each }, each === state ? 1 : 0);
  }

  private collectBudget(): void {
    const since = Date.now() - BUDGET_REPORT_TTL_MS;
    let lowest: number | undefined;
    for (const [id, report] of this.budgetReports) {
      if (report.at < since) this.budgetReports.delete(id);
      else lowest = Math.min(lowest ?? report.remaining, report.remaining);
    }
    this.budgetSubscriptions.set(this.budgetReports.size);
    // No report, no sample: reset() would show 0, i.e. "budget spent", on an idle relay.
    if (lowest === undefined) this.budgetLowest.remove();
    else this.budgetLowest.set(lowest);
  }

  /** The Prometheus text exposition of every metric. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
