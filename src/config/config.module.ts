import { Global, Module, type DynamicModule } from '@nestjs/common';
import { RELAY_CONFIG, type RelayConfig } from './relay-config.js';

/**
 * Makes the already-validated `RelayConfig` injectable as `RELAY_CONFIG`.
 * Parsing happens before Nest boots (main.ts), so a bad variable stops the
 * process with a clean message instead of a DI stack trace; tests hand in a
 * config object directly.
 *
 * The one global module: nearly every module reads the configuration, and it
 * is a value handed in at boot, so an import in each module would have to
 * thread that value through a `forRoot` of its own.
 */
@Global()
@Module({})
export class RelayConfigModule {
  static forRoot(config: RelayConfig): DynamicModule {
    return {
      module: RelayConfigModule,
      providers: [{ provide: RELAY_CONFIG, useValue: config }],
      exports: [RELAY_CONFIG],
    };
  }
}
