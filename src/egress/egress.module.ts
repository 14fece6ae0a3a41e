import {
  Inject,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Dispatcher } from 'undici';
import { RELAY_CONFIG, type RelayConfig } from '../config/relay-config.js';
import { EgressDispatcher } from './egress-dispatcher.js';
import { describeEgress } from '../config/egress-settings.js';

/** DI token of the egress `Dispatcher` for calls other than Qualys's (JWKS). */
export const EGRESS_DISPATCHER = Symbol('EGRESS_DISPATCHER');

/** Logs the effective egress once at start-up (spec §11) and closes the pools on shutdown. */
class EgressLifecycle implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(RELAY_CONFIG) private readonly config: RelayConfig,
    @Inject(EGRESS_DISPATCHER) private readonly dispatcher: EgressDispatcher,
  ) {}

  onModuleInit(): void {
    new Logger('Egress').log(
      describeEgress(this.config.egress),
      'Outbound calls: effective egress settings',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.dispatcher.close();
  }
}

/**
 * Spec §11: the outbound transport policy (proxy per scheme, NO_PROXY) for
 * the calls that do not go to Qualys — JWKS fetches. The Qualys transport
 * builds its own pools from the same settings (qualys-transport.ts).
 */
@Module({
  providers: [
    {
      provide: EGRESS_DISPATCHER,
      inject: [RELAY_CONFIG],
      useFactory: (config: RelayConfig): Dispatcher => new EgressDispatcher(config.egress),
    },
    EgressLifecycle,
  ],
  exports: [EGRESS_DISPATCHER],
})
export class EgressModule {}
