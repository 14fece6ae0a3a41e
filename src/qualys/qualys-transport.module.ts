import { lookup } from 'node:dns';
import { Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { createAddressPolicy } from '../common/address-policy.js';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { RelayConfig } from '../config/relay-config.js';
import type { EgressDispatcher } from '../egress/egress-dispatcher.js';
import { createQualysTransport } from './qualys-transport.js';
import { QUALYS_HOST_RESOLVER, vettedLookup, type HostResolver } from './vetted-lookup.js';

/** DI token of the Qualys transport: the `EgressDispatcher` its calls go through. */
export const QUALYS_TRANSPORT = Symbol('QUALYS_TRANSPORT');

/** Spec §3: the resolved-address check of direct Qualys connections. */
function connectGuard(config: RelayConfig, resolve: HostResolver) {
  const policy = createAddressPolicy({
    allowlist: config.qualys.addressAllowlist,
    allowAll: config.qualys.allowInsecure,
  });
  const logger = new Logger('QualysTransport');
  // The caller only sees `connection error`; the operator learns why here.
  const onRefused = (error: Error) => logger.warn(`${error.message}; see QUALYS_ADDRESS_ALLOWLIST`);
  return { lookup: vettedLookup(resolve, policy, onRefused), policy, onRefused };
}

/** Closes the pools once the graceful drain is over (health/graceful-shutdown.ts). */
class TransportCloser implements OnApplicationShutdown {
  constructor(@Inject(QUALYS_TRANSPORT) private readonly transport: EgressDispatcher) {}

  async onApplicationShutdown(): Promise<void> {
    await this.transport.close();
  }
}

/**
 * The bytes-level transport to Qualys (undici pools, egress proxy, address
 * check), behind `QualysHttp`. Internal to the
 * Qualys module.
 */
@Module({
  providers: [
    // dns.lookup by default; a test replaces it to make a name resolve to loopback.
    { provide: QUALYS_HOST_RESOLVER, useValue: lookup satisfies HostResolver },
    {
      provide: QUALYS_TRANSPORT,
      inject: [ConfigService, QUALYS_HOST_RESOLVER],
      useFactory: (
        settings: ConfigService<RelaySettings, true>,
        resolve: HostResolver,
      ): EgressDispatcher => {
        const config = settings.get('relay', { infer: true });
        return createQualysTransport(
          config.egress,
          config.qualys.concurrency,
          connectGuard(config, resolve),
        );
      },
    },
    TransportCloser,
  ],
  exports: [QUALYS_TRANSPORT],
})
export class QualysTransportModule {}
