import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { createApp, mountPipeline, nestApplicationOptions } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import { mintRelayToken, type RelayTokenClaims } from '../../src/cli/relay-token.js';
import { parseRelayConfig, type Env } from '../../src/config/config-parser.js';
import type { RelayConfig } from '../../src/config/relay-config.js';
import { createRelayLogger } from '../../src/observability/logger.js';
import { QUALYS_HOST_RESOLVER, type HostResolver } from '../../src/qualys/vetted-lookup.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
  type SimulatorOptions,
} from '../../tools/simulator/qualys-simulator.js';

/** The shared secret e2e tests sign secret-mode tokens with. */
export const TEST_JWT_SECRET = 'e2e-shared-secret-that-is-long-enough-0123456789';

export interface RelayHarness {
  app: NestExpressApplication;
  /** The relay's base URL on a real loopback socket. */
  url: string;
  simulator: QualysSimulator;
  config: RelayConfig;
  /** A secret-mode JWT for the simulator's demo user, with optional overrides. */
  token(claims?: Partial<RelayTokenClaims>): Promise<string>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Env;
  simulator?: SimulatorOptions;
  /**
   * Replaces the Qualys transport's DNS resolver (`QUALYS_HOST_RESOLVER`,
   * `dns.lookup` in production) through Nest's provider override, e.g. to
   * make an allow-listed name resolve to 127.0.0.1.
   */
  hostResolver?: HostResolver;
}

/** The production application, with the Qualys host resolver replaced. */
async function createAppWithResolver(
  config: RelayConfig,
  hostResolver: HostResolver,
): Promise<NestExpressApplication> {
  const logger = createRelayLogger(config.logLevel);
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.register(config, { logger })],
  })
    .overrideProvider(QUALYS_HOST_RESOLVER)
    .useValue(hostResolver)
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>(
    nestApplicationOptions({ logger: false }),
  );
  return mountPipeline(app, config, logger, { logger: false });
}

/**
 * The production app on an ephemeral loopback port, with Qualys played by the
 * bundled simulator on another (house style 10): real sockets both ways.
 */
export async function startRelayHarness(options: HarnessOptions = {}): Promise<RelayHarness> {
  const simulator = await startQualysSimulator({
    host: '127.0.0.1',
    port: 0,
    ...options.simulator,
  });
  const config = parseRelayConfig({
    AUTH_MODE: 'secret',
    JWT_SECRET: TEST_JWT_SECRET,
    QUALYS_ALLOW_INSECURE: 'true',
    QUALYS_TIMEOUT_MS: '2000',
    QUALYS_BUDGET_MS: '5000',
    QUALYS_RETRIES: '2',
    // The relay's behaviour per request, as before spec §9: every request
    // calls Qualys, as fast as the simulator allows. Limit specs set their own.
    QUALYS_SUBSCRIPTION_CONCURRENCY: '64',
    QUALYS_CACHE_TTL_SEC: '0',
    // One search per observable and state, as before batching (spec §12); batching specs set their own.
    QUALYS_BATCH_SIZE: '1',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const app =
    options.hostResolver === undefined
      ? await createApp(config, { logger: false })
      : await createAppWithResolver(config, options.hostResolver);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    simulator,
    config,
    token: (claims = {}) =>
      mintRelayToken(TEST_JWT_SECRET, {
        user: SIMULATOR_USER,
        pass: SIMULATOR_PASSWORD,
        API_URL: simulator.url,
        PLATFORM_URL: simulator.url,
        ...claims,
      }),
    close: async () => {
      await app.close();
      await simulator.close();
    },
  };
}
