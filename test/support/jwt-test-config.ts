import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../../src/config/config.module.js';
import type { AuthConfig, RelayConfig } from '../../src/config/relay-config.js';

/** A 32+ character HS256 secret, test-only. */
export const TEST_JWT_SECRET = 'test-only-secret-0123456789abcdef0123456789';
export const TEST_AUDIENCE = 'https://relay.example.test';
export const TEST_API_URL = 'https://gateway.qg1.apps.qualys.com';
export const TEST_PLATFORM_URL = 'https://qualysguard.qg1.apps.qualys.com';

/** A complete `RelayConfig` for auth tests, `secret` mode unless `auth` says otherwise. */
export function testRelayConfig(
  overrides: {
    auth?: AuthConfig;
    qualys?: Partial<RelayConfig['qualys']>;
    entitiesLimit?: number;
  } = {},
): RelayConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    docsEnabled: true,
    auth: overrides.auth ?? { mode: 'secret', secret: TEST_JWT_SECRET },
    qualys: {
      apiUrl: TEST_API_URL,
      platformUrl: TEST_PLATFORM_URL,
      hostAllowlist: ['*.qualys.com', '*.qualys.eu'],
      allowInsecure: false,
      addressAllowlist: [],
      timeoutMs: 1000,
      budgetMs: 5000,
      retries: 0,
      concurrency: 4,
      subscriptionConcurrency: 2,
      subscriptionConcurrencyMax: 4,
      cacheTtlMs: 0,
      cacheMaxBytes: 1024 * 1024,
      maxAnswerBytes: 8 * 1024 * 1024,
      batchSize: 1,
      ...overrides.qualys,
    },
    entitiesLimit: overrides.entitiesLimit ?? 100,
    entitiesLimitMax: 1000,
    maxObservables: 1000,
    bodyLimitBytes: 1_048_576,
    maxPendingSearches: 5000,
    memoryBudgetBytes: 48 * 1024 * 1024,
    maxAnswerBytes: 16 * 1024 * 1024,
    logLevel: 'silent',
    deadlineMs: 5000,
    shutdownTimeoutMs: 1000,
    rateLimitPerMinute: 0,
    trustProxyHops: 0,
    readiness: { maxEventLoopDelayMs: 1000, maxHeapUsedMb: 0 },
    egress: { noProxy: [] },
    verdictValidSec: 3600,
  };
}

/** `jwks` mode pointed at the given hosts, with short timings for tests. */
export function testJwksAuth(hosts: string[], overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    mode: 'jwks',
    audience: TEST_AUDIENCE,
    jwksHostAllowlist: hosts,
    jwksCacheTtlMs: 600_000,
    jwksTimeoutMs: 500,
    ...overrides,
  } as AuthConfig;
}

/** The `ConfigService` a provider built by hand (`new …`) reads `config` from, as the app's does. */
export function configServiceOf(config: RelayConfig): ConfigService<RelaySettings, true> {
  return new ConfigService<RelaySettings, true>({ relay: config });
}
