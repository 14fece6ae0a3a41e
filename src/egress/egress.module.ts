import {
  Inject,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Dispatcher } from 'undici';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { RelayConfig } from '../config/relay-config.js';
import { EgressDispatcher } from './egress-dispatcher.js';
import { describeEgress } from '../config/egress-settings.js';

/** DI token of the egress `Dispatcher` for calls other than Qualys's (JWKS). */
export const EGRESS_DISPATCHER = Symbol('EGRESS_DISPATCHER');

/** Logs the effective egress once at start-up (spec §11) and closes the pools on shutdown. */
class EgressLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly config: RelayConfig;

  constructor(
    @Inject(ConfigService) settings: ConfigService<RelaySettings, true>,
    @Inject(EGRESS_DISPATCHER) private readonly dispatcher: EgressDispatcher,
  ) {
    this.config = settings.get('relay', { infer: true });
  }

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
      inject: [ConfigService],
      useFactory: (settings: ConfigService<RelaySettings, true>): Dispatcher =>
        new EgressDispatcher(settings.get('relay.egress', { infer: true })),
    },
    EgressLifecycle,
  ],
  exports: [EGRESS_DISPATCHER],
})
export class EgressModule {}
