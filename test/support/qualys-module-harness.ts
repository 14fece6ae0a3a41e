import type { INestApplicationContext, ModuleMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { RelayContext } from '../../src/auth/relay-context.js';
import { parseRelayConfig, type Env } from '../../src/config/config-parser.js';
import { RelayConfigModule } from '../../src/config/config.module.js';
import type { RelayConfig } from '../../src/config/relay-config.js';
import { RelayMetrics } from '../../src/observability/metrics.js';
import { QualysModule } from '../../src/qualys/qualys.module.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
  type SimulatorOptions,
} from '../../tools/simulator/qualys-simulator.js';

/** A secret for the config parser only: nothing here verifies a JWT. */
const UNUSED_JWT_SECRET = 'qualys-module-harness-secret-0123456789';

export interface QualysModuleHarness {
  /** The application context: `QualysModule` (and what it imports) under a config. */
  app: INestApplicationContext;
  simulator: QualysSimulator;
  config: RelayConfig;
  /** The real metrics the module reports to. */
  metrics: RelayMetrics;
  /** The simulator's demo account at the simulator's URL, as a verified JWT would give it. */
  relayContext(overrides?: Partial<RelayContext>): RelayContext;
  close(): Promise<void>;
}

/**
 * `QualysModule` built by Nest as in production (same providers, transport and
 * limits), with the bundled simulator as Qualys on a loopback port. `env`
 * adds to or overrides the defaults: insecure URLs allowed (loopback), no
 * result cache, silent logs. `around` adds what a spec builds on top of it.
 */
export async function startQualysModule(
  env: Env = {},
  simulatorOptions: SimulatorOptions = {},
  around: Pick<ModuleMetadata, 'imports' | 'providers'> = {},
): Promise<QualysModuleHarness> {
  const simulator = await startQualysSimulator({ host: '127.0.0.1', port: 0, ...simulatorOptions });
  const config = parseRelayConfig({
    AUTH_MODE: 'secret',
    JWT_SECRET: UNUSED_JWT_SECRET,
    QUALYS_ALLOW_INSECURE: 'true',
    QUALYS_CACHE_TTL_SEC: '0',
    // One search per observable and state, as before batching (spec §12); batching specs set their own.
    QUALYS_BATCH_SIZE: '1',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({
    imports: [RelayConfigModule.forRoot(config), QualysModule, ...(around.imports ?? [])],
    providers: around.providers ?? [],
  }).compile();
  moduleRef.useLogger(false);
  const app = await moduleRef.init();
  return {
    app,
    simulator,
    config,
    metrics: app.get(RelayMetrics),
    relayContext: (overrides = {}) => ({
      credentials: { user: SIMULATOR_USER, pass: SIMULATOR_PASSWORD },
      apiUrl: simulator.url,
      platformUrl: simulator.url,
      entitiesLimit: config.entitiesLimit,
      ...overrides,
    }),
    close: async () => {
      await app.close();
      await simulator.close();
    },
  };
}
