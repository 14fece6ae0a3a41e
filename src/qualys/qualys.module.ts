import { HttpModule, type HttpModuleOptions } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import type { RelaySettings } from '../config/config.module.js';
import type { EgressDispatcher } from '../egress/egress-dispatcher.js';
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
import { QualysHttp, qualysAxiosOptions } from './qualys-http.js';
import { QUALYS_TRANSPORT, QualysTransportModule } from './qualys-transport.module.js';
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
    // The one axios instance of every Qualys call (QualysHttp uses its axiosRef), over that transport.
    HttpModule.registerAsync({
      imports: [QualysTransportModule],
      inject: [QUALYS_TRANSPORT],
      useFactory: (transport: EgressDispatcher): HttpModuleOptions => qualysAxiosOptions(transport),
    }),
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
      inject: [ConfigService, QUALYS_CALL_OBSERVER, { token: RELAY_TRACING, optional: true }],
      useFactory: (
        settings: ConfigService<RelaySettings, true>,
        observer: QualysCallObserver,
        tracing?: RelayTracing,
      ) => {
        const config = settings.get('relay', { infer: true });
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
