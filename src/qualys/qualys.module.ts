import { Module } from '@nestjs/common';
import { HttpModule } from '@nestjs/axios';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { createAgents } from './http-agents.js';
import { createLimitStores } from './limits/limit-stores.factory.js';
import { QualysLimits } from './limits/qualys-limits.js';
import { QUALYS_CALL_OBSERVER, QualysClient, type QualysCallObserver } from './qualys.client.js';
import { QualysTokenCache } from './token-cache.js';

/** Qualys IOC access. Exports the client façade only (house style 1). */
@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [RELAY_CONFIG],
      useFactory: (config: RelayConfig) => ({
        ...createAgents(config.qualys.concurrency),
        // Never read a body larger than this: a runaway answer must not exhaust memory.
        maxContentLength: 20 * 1024 * 1024,
        maxBodyLength: 1024 * 1024,
        proxy: false as const,
      }),
    }),
  ],
  providers: [
    QualysClient,
    { provide: QualysTokenCache, useFactory: () => new QualysTokenCache() },
    {
      // Spec §9: slots, budget, coalescing and cache — in this process, or in Redis for several replicas.
      provide: QualysLimits,
      inject: [RELAY_CONFIG, { token: QUALYS_CALL_OBSERVER, optional: true }],
      useFactory: (config: RelayConfig, observer?: QualysCallObserver) => {
        const stores = createLimitStores(config);
        if (observer !== undefined) {
          observer.redisState(stores.redisState());
          stores.onRedisStateChange((state) => observer.redisState(state));
        }
        return new QualysLimits(stores, config, observer);
      },
    },
  ],
  exports: [QualysClient],
})
export class QualysModule {}
