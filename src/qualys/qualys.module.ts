import { lookup } from 'node:dns';
import { Logger, Module } from '@nestjs/common';
import { HttpModule } from '@nestjs/axios';
import { createAddressPolicy } from '../common/address-policy.js';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { createAgents, type ConnectGuard } from './http-agents.js';
import { createLimitStores } from './limits/limit-stores.factory.js';
import { QualysLimits } from './limits/qualys-limits.js';
import { QUALYS_CALL_OBSERVER, QualysClient, type QualysCallObserver } from './qualys.client.js';
import { QualysTokenCache } from './token-cache.js';
import { QUALYS_HOST_RESOLVER, vettedLookup, type HostResolver } from './vetted-lookup.js';

/** Spec §3: the Qualys transport connects only to addresses the policy allows. */
function connectGuard(config: RelayConfig, resolve: HostResolver): ConnectGuard {
  const policy = createAddressPolicy({
    allowlist: config.qualys.addressAllowlist,
    allowAll: config.qualys.allowInsecure,
  });
  const logger = new Logger('QualysTransport');
  // The caller only sees `connection error`; the operator learns why here.
  const onRefused = (error: Error) => logger.warn(`${error.message}; see QUALYS_ADDRESS_ALLOWLIST`);
  return { lookup: vettedLookup(resolve, policy, onRefused), policy, onRefused };
}

/** Qualys IOC access. Exports the client façade only (house style 1). */
@Module({
  imports: [
    HttpModule.registerAsync({
      inject: [RELAY_CONFIG, QUALYS_HOST_RESOLVER],
      useFactory: (config: RelayConfig, resolve: HostResolver) => ({
        ...createAgents(config.qualys.concurrency, connectGuard(config, resolve)),
        // Never read a body larger than this: a runaway answer must not exhaust memory.
        maxContentLength: 20 * 1024 * 1024,
        maxBodyLength: 1024 * 1024,
        proxy: false as const,
      }),
      // dns.lookup by default; a test replaces it to make a name resolve to loopback.
      extraProviders: [{ provide: QUALYS_HOST_RESOLVER, useValue: lookup satisfies HostResolver }],
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
