import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { parseRelayConfig, type Env } from './config-parser.js';
import { parseEnvFile } from './local-env-file.js';
import type { RelayConfig } from './relay-config.js';

/**
 * What `ConfigService` holds: the parsed, validated `RelayConfig` under one
 * key. Read it as `config.get('relay', { infer: true })` from a
 * `ConfigService<RelaySettings, true>`. One key rather than `RelayConfig`'s
 * own top-level keys: `ConfigModule` copies every scalar of what `validate`
 * returns into `process.env`, and `port` or `logLevel` have no business there.
 */
export interface RelaySettings {
  relay: RelayConfig;
}

/** The configuration `ConfigModule` validated, and the module that provides it. */
export interface LoadedRelayConfig {
  config: RelayConfig;
  module: DynamicModule;
}

/**
 * The relay's configuration, through `@nestjs/config` (global: nearly every
 * module reads it).
 */
@Module({})
export class RelayConfigModule {
  /**
   * Production (main.ts): `ConfigModule.forRoot` reads `.env` from the
   * working directory (variables already set win) and hands the whole
   * environment to `parseRelayConfig` as its `validate`. A bad environment
   * rejects here with a `ConfigValidationError` naming every bad variable,
   * never a value (spec §8), before any provider exists — so main.ts awaits
   * this before Nest boots, and prints one clean message. The `.env` values
   * also reach `process.env` (tracing reads its OTEL_* variables there).
   */
  static async fromEnvironment(envFilePath = '.env'): Promise<LoadedRelayConfig> {
    let config: RelayConfig | undefined;
    const module = await ConfigModule.forRoot({
      isGlobal: true,
      skipProcessEnv: true,
      envFilePath,
      // The same syntax as the CLIs' `.env` (Node's own parser).
      parser: parseEnvFile,
      validate: (env) => {
        config = parseRelayConfig(env as Env);
        // The variables as they were (ConfigModule copies those of `.env` into
        // process.env), and the typed configuration.
        return { ...env, relay: config } satisfies Record<string, unknown> & RelaySettings;
      },
    });
    // validate ran inside forRoot: `config` is set, or forRoot has thrown.
    return { config: config as RelayConfig, module };
  }

  /**
   * A configuration handed in (tests, the demo, the OpenAPI generator):
   * neither `.env` nor the environment is read.
   */
  static forRoot(config: RelayConfig): Promise<DynamicModule> {
    return ConfigModule.forRoot({
      isGlobal: true,
      skipProcessEnv: true,
      ignoreEnvFile: true,
      ignoreEnvVars: true,
      validate: (): RelaySettings => ({ relay: config }),
    });
  }
}
