import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { RelayMetrics } from '../observability/metrics.js';
import { RELAY_TRACING, type RelayTracing } from '../observability/tracing.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { createLimitStores } from './limits/limit-stores.factory.js';
import { QualysLimits } from './limits/qualys-limits.js';
import {
  QUALYS_CALL_OBSERVER,
  withCallSpans,
  type QualysCallObserver,
} from './qualys-call-observer.js';
import { QualysAuthenticator } from './qualys-auth.js';
import { QualysCaller } from './qualys-call.js';
import { LimitedSearch } from './limited-search.js';
import { QualysClient } from './qualys.client.js';
import { QualysHealthIndicator } from './qualys.health.js';
import { QualysHttp } from './qualys-http.js';
import { QualysTransportModule } from './qualys-transport.module.js';
import { QualysTokenCache } from './token-cache.js';

/**
 * Qualys IOC access. Exports the client façade and its Terminus health
 * indicator only (house style 1); the token cache, the limits and the
 * transport stay private.
 */
@Module({
  imports: [
    // The undici pools, egress proxy and address check behind QualysHttp.
    QualysTransportModule,
    // RelayMetrics, the observer of every Qualys call.
    MetricsModule,
    // HealthIndicatorService, for QualysHealthIndicator.
    TerminusModule,
  ],
  providers: [
    // The metrics observe every call; the return type checks that they fit the observer.
    // With tracing on, every call is a span too (spec §14).
    {
      provide: QUALYS_CALL_OBSERVER,
      inject: [RelayMetrics, { token: RELAY_TRACING, optional: true }],
      useFactory: (metrics: RelayMetrics, tracing?: RelayTracing): QualysCallObserver =>
        tracing?.qualysCalls === undefined ? metrics : withCallSpans(metrics, tracing.qualysCalls),
    },
    QualysHttp,
    QualysCaller,
    QualysAuthenticator,
    LimitedSearch,
    QualysClient,
    QualysHealthIndicator,
    { provide: QualysTokenCache, useFactory: () => new QualysTokenCache() },
    {
      // Spec §9: slots, budget, coalescing and cache — in this process, or in Redis for several replicas.
      provide: QualysLimits,
      inject: [RELAY_CONFIG, QUALYS_CALL_OBSERVER, { token: RELAY_TRACING, optional: true }],
      useFactory: (config: RelayConfig, observer: QualysCallObserver, tracing?: RelayTracing) => {
        const stores = createLimitStores(config, tracing?.redisCommands);
        observer.redisState(stores.redisState());
        stores.onRedisStateChange((state) => observer.redisState(state));
        return new QualysLimits(stores, config, observer);
      },
    },
  ],
  exports: [QualysClient, QualysHealthIndicator],
})
export class QualysModule {}
