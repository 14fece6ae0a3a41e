import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  QualysCallObserver,
  QualysCallOutcome,
  QualysOperation,
} from '../qualys/qualys.client.js';
import type { TokenLookup } from '../qualys/token-cache.js';
import { routeLabel } from './route-label.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The relay's Prometheus metrics. Each application instance owns its
 * registry (no prom-client global), so several apps in one process — tests —
 * never share or double-register series.
 */
@Injectable()
export class RelayMetrics implements QualysCallObserver {
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

  constructor() {
    collectDefaultMetrics({ register: this.registry });
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

  call(operation: QualysOperation, outcome: QualysCallOutcome, seconds: number): void {
    this.qualysCalls.inc({ operation, outcome });
    this.qualysDuration.observe({ operation, outcome }, seconds);
  }

  tokenLookup(result: TokenLookup): void {
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

  /** The Prometheus text exposition of every metric. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
