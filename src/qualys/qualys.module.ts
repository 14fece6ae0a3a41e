import { Module } from '@nestjs/common';
import { HttpModule } from '@nestjs/axios';
import { TerminusModule } from '@nestjs/terminus';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { RelayMetrics } from '../observability/metrics.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { createLimitStores } from './limits/limit-stores.factory.js';
import { QualysLimits } from './limits/qualys-limits.js';
import { QUALYS_CALL_OBSERVER, type QualysCallObserver } from './qualys-call-observer.js';
import { QualysClient } from './qualys.client.js';
import { QualysHealthIndicator } from './qualys.health.js';
import type { QualysTransport } from './qualys-transport.js';
import { QUALYS_TRANSPORT, QualysTransportModule } from './qualys-transport.module.js';
import { QualysTokenCache } from './token-cache.js';
import { createUndiciAdapter } from './undici-adapter.js';

/**
 * Qualys IOC access. Exports the client façade and its Terminus health
 * indicator only (house style 1); the token cache, the limits and the
 * transport stay private.
 */
@Module({
  imports: [
    // @nestjs/axios stays the client provider; the bytes go through undici (undici-adapter.ts).
    HttpModule.registerAsync({
      imports: [QualysTransportModule],
      inject: [QUALYS_TRANSPORT],
      useFactory: (transport: QualysTransport) => ({
        adapter: createUndiciAdapter(transport.egress, (url) => transport.egress.proxyFor(url)),
        // Never read a body larger than this: a runaway answer must not exhaust memory.
        maxContentLength: 20 * 1024 * 1024,
        maxRedirects: 0,
      }),
    }),
    // RelayMetrics, the observer of every Qualys call.
    MetricsModule,
    // HealthIndicatorService, for QualysHealthIndicator.
    TerminusModule,
  ],
  providers: [
    // The metrics observe every call; the return type checks that they fit the observer.
    {
      provide: QUALYS_CALL_OBSERVER,
      inject: [RelayMetrics],
      useFactory: (metrics: RelayMetrics): QualysCallObserver => metrics,
    },
    QualysClient,
    QualysHealthIndicator,
    { provide: QualysTokenCache, useFactory: () => new QualysTokenCache() },
    {
      // Spec §9: slots, budget, coalescing and cache — in this process, or in Redis for several replicas.
      provide: QualysLimits,
      inject: [RELAY_CONFIG, QUALYS_CALL_OBSERVER],
      useFactory: (config: RelayConfig, observer: QualysCallObserver) => {
        const stores = createLimitStores(config);
        observer.redisState(stores.redisState());
        stores.onRedisStateChange((state) => observer.redisState(state));
        return new QualysLimits(stores, config, observer);
      },
    },
  ],
  exports: [QualysClient, QualysHealthIndicator],
})
export class QualysModule {}
