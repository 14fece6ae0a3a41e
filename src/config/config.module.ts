import { Global, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, registerAs, type ConfigType } from '@nestjs/config';
import { RELAY_CONFIG, type RelayConfig } from './relay-config.js';

/**
 * Makes the already-validated `RelayConfig` injectable everywhere as
 * `RELAY_CONFIG`. Parsing happens before Nest boots (main.ts), so a bad
 * variable stops the process with a clean message instead of a DI stack trace;
 * tests hand in a config object directly.
 */
@Global()
@Module({})
export class RelayConfigModule {
  static forRoot(config: RelayConfig): DynamicModule {
    const relayConfig = registerAs('relay', () => config);
    return {
      module: RelayConfigModule,
      imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [relayConfig] })],
      providers: [
        {
          provide: RELAY_CONFIG,
          inject: [relayConfig.KEY],
          useFactory: (loaded: ConfigType<typeof relayConfig>) => loaded,
        },
      ],
      exports: [RELAY_CONFIG],
    };
  }
}
