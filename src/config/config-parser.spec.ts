import { describe, expect, it } from '@jest/globals';
import { ConfigValidationError, parseRelayConfig, type Env } from './config-parser.js';
import { DEFAULT_JWKS_HOSTS, DEFAULT_QUALYS_HOSTS } from './relay-config.js';

const SECRET = 'a-very-long-shared-secret-of-40-characters!';
const secretEnv: Env = { AUTH_MODE: 'secret', JWT_SECRET: SECRET };

function problemsOf(env: Env): string[] {
  try {
    parseRelayConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigValidationError');
}

describe('parseRelayConfig', () => {
  it('applies the spec §8 defaults in secret mode', () => {
    expect(parseRelayConfig(secretEnv)).toEqual({
      port: 9090,
      host: '0.0.0.0',
      auth: { mode: 'secret', secret: SECRET },
      qualys: {
        apiUrl: undefined,
        platformUrl: undefined,
        hostAllowlist: DEFAULT_QUALYS_HOSTS,
        allowInsecure: false,
        addressAllowlist: [],
        timeoutMs: 10_000,
        budgetMs: 20_000,
        retries: 2,
        concurrency: 64,
        apiVersion: undefined,
        subscriptionConcurrency: 2,
        subscriptionConcurrencyMax: 16,
        cacheTtlMs: 60_000,
        cacheMaxBytes: 32 * 1024 * 1024,
        maxAnswerBytes: 8 * 1024 * 1024,
        batchSize: 20,
      },
      entitiesLimit: 100,
      entitiesLimitMax: 1000,
      maxObservables: 1000,
      bodyLimitBytes: 1_048_576,
      maxPendingSearches: 5000,
      memoryBudgetBytes: 48 * 1024 * 1024,
      maxAnswerBytes: 16 * 1024 * 1024,
      logLevel: 'info',
      deadlineMs: 20_000,
      shutdownTimeoutMs: 21_000,
      rateLimitPerMinute: 0,
      trustProxyHops: 0,
      readiness: { maxEventLoopDelayMs: 1000, maxHeapUsedMb: 0 },
      egress: { noProxy: [] },
      verdictValidSec: 3600,
      docsEnabled: true,
    });
  });

  it('reads jwks mode with its defaults', () => {
    expect(
      parseRelayConfig({ AUTH_MODE: 'jwks', JWT_AUDIENCE: 'https://relay.example.com' }).auth,
    ).toEqual({
      mode: 'jwks',
      audience: 'https://relay.example.com',
      jwksHostAllowlist: DEFAULT_JWKS_HOSTS,
      jwksCacheTtlMs: 600_000,
      jwksTimeoutMs: 5000,
    });
  });

  it('reads every variable when set', () => {
    const config = parseRelayConfig({
      ...secretEnv,
      PORT: '8080',
      HOST: '127.0.0.1',
      QUALYS_API_URL: 'https://gateway.qg2.apps.qualys.com/',
      QUALYS_PLATFORM_URL: 'https://qualysguard.qg2.apps.qualys.com',
      QUALYS_HOST_ALLOWLIST: '*.qualys.com, Gateway.qg1.apps.qualys.eu',
      QUALYS_ADDRESS_ALLOWLIST: ' 10.20.0.0/16, fd00:abcd::/32,192.168.7.9 ',
      QUALYS_TIMEOUT_MS: '5000',
      QUALYS_BUDGET_MS: '9000',
      QUALYS_RETRIES: '0',
      QUALYS_CONCURRENCY: '8',
      QUALYS_API_VERSION: 'v1',
      QUALYS_SUBSCRIPTION_CONCURRENCY: '4',
      QUALYS_SUBSCRIPTION_CONCURRENCY_MAX: '6',
      QUALYS_CACHE_TTL_SEC: '0',
      QUALYS_CACHE_MAX_MB: '8',
      QUALYS_MAX_ANSWER_MB: '2',
      QUALYS_BATCH_SIZE: '1',
      RELAY_DEADLINE_MS: '12000',
      REDIS_URL: 'rediss://:pw@redis.internal:6380/2',
      REDIS_KEY_PREFIX: 'relay-a:',
      CACHE_ENCRYPTION_KEY: 'another-long-deployment-secret-of-40-chars',
      CTR_ENTITIES_LIMIT: '25',
      CTR_ENTITIES_LIMIT_MAX: '50',
      RELAY_MAX_OBSERVABLES: '50',
      RELAY_BODY_LIMIT_BYTES: '2048',
      RELAY_MAX_PENDING_SEARCHES: '400',
      RELAY_MEMORY_BUDGET_MB: '24',
      RELAY_MAX_ANSWER_MB: '4',
      LOG_LEVEL: 'debug',
      SHUTDOWN_TIMEOUT_MS: '3000',
      RATE_LIMIT_PER_MINUTE: '600',
      TRUST_PROXY_HOPS: '1',
      READINESS_MAX_EVENT_LOOP_DELAY_MS: '250',
      READINESS_MAX_HEAP_USED_MB: '384',
      VERDICT_VALID_SEC: '900',
    });
    expect(config).toEqual({
      port: 8080,
      host: '127.0.0.1',
      auth: { mode: 'secret', secret: SECRET },
      qualys: {
        apiUrl: 'https://gateway.qg2.apps.qualys.com',
        platformUrl: 'https://qualysguard.qg2.apps.qualys.com',
        hostAllowlist: ['*.qualys.com', 'gateway.qg1.apps.qualys.eu'],
        allowInsecure: false,
        addressAllowlist: ['10.20.0.0/16', 'fd00:abcd::/32', '192.168.7.9'],
        timeoutMs: 5000,
        budgetMs: 9000,
        retries: 0,
        concurrency: 8,
        apiVersion: 'v1',
        subscriptionConcurrency: 4,
        subscriptionConcurrencyMax: 6,
        cacheTtlMs: 0,
        cacheMaxBytes: 8 * 1024 * 1024,
        maxAnswerBytes: 2 * 1024 * 1024,
        batchSize: 1,
      },
      entitiesLimit: 25,
      entitiesLimitMax: 50,
      maxObservables: 50,
      bodyLimitBytes: 2048,
      maxPendingSearches: 400,
      memoryBudgetBytes: 24 * 1024 * 1024,
      maxAnswerBytes: 4 * 1024 * 1024,
      logLevel: 'debug',
      deadlineMs: 12_000,
      shutdownTimeoutMs: 3000,
      rateLimitPerMinute: 600,
      trustProxyHops: 1,
      readiness: { maxEventLoopDelayMs: 250, maxHeapUsedMb: 384 },
      egress: { noProxy: [] },
      verdictValidSec: 900,
      docsEnabled: true,
      redis: {
        topology: { kind: 'server', url: 'rediss://:pw@redis.internal:6380/2' },
        keyPrefix: 'relay-a:',
        encryptionKey: 'another-long-deployment-secret-of-40-chars',
      },
    });
  });

  it('keeps the retry budget and the shutdown grace in step with the deadline', () => {
    const config = parseRelayConfig({ ...secretEnv, RELAY_DEADLINE_MS: '5000' });
    expect([config.qualys.budgetMs, config.shutdownTimeoutMs]).toEqual([5000, 6000]);
    expect(
      problemsOf({ ...secretEnv, RELAY_DEADLINE_MS: '5000', QUALYS_BUDGET_MS: '6000' }),
    ).toEqual(['QUALYS_BUDGET_MS must be an integer from 100 to 5000']);
  });

  it('keeps VERDICT_VALID_SEC between a minute and a day', () => {
    const problem = 'VERDICT_VALID_SEC must be an integer from 60 to 86400';
    for (const bad of ['59', '86401', '1h', '-60']) {
      expect([bad, problemsOf({ ...secretEnv, VERDICT_VALID_SEC: bad })]).toEqual([bad, [problem]]);
    }
    expect(parseRelayConfig({ ...secretEnv, VERDICT_VALID_SEC: '60' }).verdictValidSec).toBe(60);
    expect(parseRelayConfig({ ...secretEnv, VERDICT_VALID_SEC: '86400' }).verdictValidSec).toBe(
      86_400,
    );
  });

  it('allows loopback http Qualys URLs only with QUALYS_ALLOW_INSECURE', () => {
    const env = { ...secretEnv, QUALYS_API_URL: 'http://127.0.0.1:8081' };
    expect(problemsOf(env)).toEqual([
      expect.stringMatching(/^QUALYS_API_URL is not an allowed Qualys URL \(.+\)$/),
    ]);
    expect(parseRelayConfig({ ...env, QUALYS_ALLOW_INSECURE: 'true' }).qualys.apiUrl).toBe(
      'http://127.0.0.1:8081',
    );
  });

  it.each<[string, Env, string]>([
    ['AUTH_MODE missing', {}, 'AUTH_MODE is required (secret or jwks)'],
    ['AUTH_MODE unknown', { AUTH_MODE: 'basic' }, 'AUTH_MODE must be one of secret, jwks'],
    [
      'JWT_SECRET missing',
      { AUTH_MODE: 'secret' },
      'JWT_SECRET is required when AUTH_MODE is secret',
    ],
    [
      'JWT_SECRET short',
      { AUTH_MODE: 'secret', JWT_SECRET: 'short-secret' },
      'JWT_SECRET must be at least 32 characters',
    ],
    [
      'JWT_AUDIENCE missing',
      { AUTH_MODE: 'jwks' },
      'JWT_AUDIENCE is required when AUTH_MODE is jwks',
    ],
    ['PORT', { ...secretEnv, PORT: 'eighty' }, 'PORT must be an integer from 0 to 65535'],
    ['PORT range', { ...secretEnv, PORT: '70000' }, 'PORT must be an integer from 0 to 65535'],
    [
      'CTR_ENTITIES_LIMIT',
      { ...secretEnv, CTR_ENTITIES_LIMIT: '0' },
      'CTR_ENTITIES_LIMIT must be an integer from 1 to 1000',
    ],
    [
      'CTR_ENTITIES_LIMIT above the default maximum',
      { ...secretEnv, CTR_ENTITIES_LIMIT: '1001' },
      'CTR_ENTITIES_LIMIT must be an integer from 1 to 1000',
    ],
    [
      'CTR_ENTITIES_LIMIT above CTR_ENTITIES_LIMIT_MAX',
      { ...secretEnv, CTR_ENTITIES_LIMIT_MAX: '50', CTR_ENTITIES_LIMIT: '51' },
      'CTR_ENTITIES_LIMIT must be an integer from 1 to 50',
    ],
    [
      'CTR_ENTITIES_LIMIT_MAX',
      { ...secretEnv, CTR_ENTITIES_LIMIT_MAX: '0' },
      'CTR_ENTITIES_LIMIT_MAX must be an integer from 1 to 10000',
    ],
    [
      'QUALYS_TIMEOUT_MS',
      { ...secretEnv, QUALYS_TIMEOUT_MS: '-5' },
      'QUALYS_TIMEOUT_MS must be an integer from 100 to 300000',
    ],
    [
      'QUALYS_RETRIES',
      { ...secretEnv, QUALYS_RETRIES: '1.5' },
      'QUALYS_RETRIES must be an integer from 0 to 10',
    ],
    [
      'QUALYS_CONCURRENCY',
      { ...secretEnv, QUALYS_CONCURRENCY: '0' },
      'QUALYS_CONCURRENCY must be an integer from 1 to 1024',
    ],
    [
      'QUALYS_ALLOW_INSECURE',
      { ...secretEnv, QUALYS_ALLOW_INSECURE: 'yes please' },
      'QUALYS_ALLOW_INSECURE must be true or false',
    ],
    [
      'QUALYS_API_VERSION',
      { ...secretEnv, QUALYS_API_VERSION: '../admin' },
      'QUALYS_API_VERSION must look like v1',
    ],
    [
      'QUALYS_HOST_ALLOWLIST',
      { ...secretEnv, QUALYS_HOST_ALLOWLIST: 'https://x.qualys.com/' },
      'QUALYS_HOST_ALLOWLIST must be a comma-separated list of host[:port] names',
    ],
    [
      'QUALYS_ADDRESS_ALLOWLIST prefix',
      { ...secretEnv, QUALYS_ADDRESS_ALLOWLIST: '10.0.0.0/8,10.0.0.0/40' },
      'QUALYS_ADDRESS_ALLOWLIST must be a comma-separated list of CIDRs such as 10.20.0.0/16',
    ],
    [
      'QUALYS_ADDRESS_ALLOWLIST name',
      { ...secretEnv, QUALYS_ADDRESS_ALLOWLIST: 'internal.example.com' },
      'QUALYS_ADDRESS_ALLOWLIST must be a comma-separated list of CIDRs such as 10.20.0.0/16',
    ],
    [
      'JWKS_HOST_ALLOWLIST',
      { AUTH_MODE: 'jwks', JWT_AUDIENCE: 'https://r', JWKS_HOST_ALLOWLIST: '*.cisco.com' },
      'JWKS_HOST_ALLOWLIST must be a comma-separated list of host[:port] names',
    ],
    [
      'LOG_LEVEL',
      { ...secretEnv, LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ],
    [
      'RATE_LIMIT_PER_MINUTE',
      { ...secretEnv, RATE_LIMIT_PER_MINUTE: '-1' },
      'RATE_LIMIT_PER_MINUTE must be an integer from 0 to 1000000',
    ],
    [
      'TRUST_PROXY_HOPS',
      { ...secretEnv, TRUST_PROXY_HOPS: 'true' },
      'TRUST_PROXY_HOPS must be an integer from 0 to 10',
    ],
    [
      'READINESS_MAX_EVENT_LOOP_DELAY_MS',
      { ...secretEnv, READINESS_MAX_EVENT_LOOP_DELAY_MS: '5' },
      'READINESS_MAX_EVENT_LOOP_DELAY_MS must be an integer from 10 to 60000',
    ],
    [
      'READINESS_MAX_HEAP_USED_MB',
      { ...secretEnv, READINESS_MAX_HEAP_USED_MB: '1.5' },
      'READINESS_MAX_HEAP_USED_MB must be an integer from 0 to 1048576',
    ],
    [
      'QUALYS_SUBSCRIPTION_CONCURRENCY above the cap',
      { ...secretEnv, QUALYS_CONCURRENCY: '4', QUALYS_SUBSCRIPTION_CONCURRENCY: '8' },
      'QUALYS_SUBSCRIPTION_CONCURRENCY must be an integer from 1 to 4',
    ],
    [
      'QUALYS_SUBSCRIPTION_CONCURRENCY_MAX above the cap',
      { ...secretEnv, QUALYS_CONCURRENCY: '8', QUALYS_SUBSCRIPTION_CONCURRENCY_MAX: '9' },
      'QUALYS_SUBSCRIPTION_CONCURRENCY_MAX must be an integer from 1 to 8',
    ],
    [
      'QUALYS_MAX_ANSWER_MB',
      { ...secretEnv, QUALYS_MAX_ANSWER_MB: '0' },
      'QUALYS_MAX_ANSWER_MB must be an integer from 1 to 1024',
    ],
    [
      'QUALYS_BATCH_SIZE',
      { ...secretEnv, QUALYS_BATCH_SIZE: '51' },
      'QUALYS_BATCH_SIZE must be an integer from 1 to 50',
    ],
    [
      'QUALYS_BATCH_SIZE',
      { ...secretEnv, QUALYS_BATCH_SIZE: '0' },
      'QUALYS_BATCH_SIZE must be an integer from 1 to 50',
    ],
    [
      'QUALYS_CACHE_TTL_SEC',
      { ...secretEnv, QUALYS_CACHE_TTL_SEC: '-1' },
      'QUALYS_CACHE_TTL_SEC must be an integer from 0 to 86400',
    ],
    [
      'QUALYS_CACHE_MAX_MB',
      { ...secretEnv, QUALYS_CACHE_MAX_MB: '0' },
      'QUALYS_CACHE_MAX_MB must be an integer from 1 to 65536',
    ],
    [
      'RELAY_MAX_PENDING_SEARCHES',
      { ...secretEnv, RELAY_MAX_PENDING_SEARCHES: '3' },
      'RELAY_MAX_PENDING_SEARCHES must be an integer from 4 to 10000000',
    ],
    [
      'RELAY_MEMORY_BUDGET_MB',
      { ...secretEnv, RELAY_MEMORY_BUDGET_MB: '0' },
      'RELAY_MEMORY_BUDGET_MB must be an integer from 1 to 65536',
    ],
    [
      'RELAY_MAX_ANSWER_MB',
      { ...secretEnv, RELAY_MAX_ANSWER_MB: 'big' },
      'RELAY_MAX_ANSWER_MB must be an integer from 1 to 65536',
    ],
    [
      'RELAY_DEADLINE_MS',
      { ...secretEnv, RELAY_DEADLINE_MS: '10' },
      'RELAY_DEADLINE_MS must be an integer from 1000 to 300000',
    ],
    [
      'REDIS_URL scheme',
      { ...secretEnv, REDIS_URL: 'http://redis:6379', CACHE_ENCRYPTION_KEY: SECRET },
      'REDIS_URL must be a redis:// or rediss:// URL with a host',
    ],
    [
      'CACHE_ENCRYPTION_KEY missing',
      { ...secretEnv, REDIS_URL: 'redis://redis:6379' },
      'CACHE_ENCRYPTION_KEY is required when REDIS_URL is set',
    ],
    [
      'CACHE_ENCRYPTION_KEY short',
      { ...secretEnv, REDIS_URL: 'redis://redis:6379', CACHE_ENCRYPTION_KEY: 'short' },
      'CACHE_ENCRYPTION_KEY must be at least 32 characters',
    ],
    [
      'REDIS_KEY_PREFIX',
      { ...secretEnv, REDIS_KEY_PREFIX: 'has space' },
      'REDIS_KEY_PREFIX must be 1 to 64 letters, digits or _ . : -',
    ],
  ])('names the bad variable: %s', (_name, env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });

  it('keeps the default learned-limit clamp within a smaller process cap', () => {
    const { qualys } = parseRelayConfig({ ...secretEnv, QUALYS_CONCURRENCY: '4' });
    expect([qualys.concurrency, qualys.subscriptionConcurrencyMax]).toEqual([4, 4]);
  });

  describe('start-up check of the memory bounds (spec §15)', () => {
    const MIB = 1024 * 1024;
    /** The image's heap: `--max-old-space-size=160` gives V8 a 208 MiB limit. */
    const IMAGE_HEAP = 208 * MIB;
    const problemsWithHeap = (env: Env, heap: number): string[] => {
      try {
        parseRelayConfig(env, heap);
        return [];
      } catch (error) {
        if (error instanceof ConfigValidationError) return error.problems;
        throw error;
      }
    };
    const TOO_MUCH =
      'QUALYS_CACHE_MAX_MB + RELAY_MEMORY_BUDGET_MB + RELAY_MAX_ANSWER_MB must fit in three quarters of the V8 heap limit (lower them, or raise --max-old-space-size in NODE_OPTIONS)';

    it('accepts the defaults within the image heap', () => {
      expect(problemsWithHeap(secretEnv, IMAGE_HEAP)).toEqual([]);
    });

    it('accepts exactly three quarters and refuses one MiB more', () => {
      const env = { ...secretEnv, QUALYS_CACHE_MAX_MB: '40', RELAY_MEMORY_BUDGET_MB: '80' };
      // 40 + 80 + 16 = 136 MiB: three quarters of 181⅓ MiB.
      expect(problemsWithHeap(env, (136 * MIB * 4) / 3)).toEqual([]);
      expect(problemsWithHeap({ ...env, RELAY_MAX_ANSWER_MB: '17' }, (136 * MIB * 4) / 3)).toEqual([
        TOO_MUCH,
      ]);
    });

    it('names the variables, never their values, next to the other problems', () => {
      const problems = problemsWithHeap(
        { ...secretEnv, PORT: 'x', QUALYS_CACHE_MAX_MB: '100' },
        IMAGE_HEAP,
      );
      expect(problems).toEqual(['PORT must be an integer from 0 to 65535', TOO_MUCH]);
      expect(problems.join(' ')).not.toContain('100');
    });

    it('leaves the sum alone while one of the three is itself invalid', () => {
      expect(problemsWithHeap({ ...secretEnv, RELAY_MAX_ANSWER_MB: '0' }, 8 * MIB)).toEqual([
        'RELAY_MAX_ANSWER_MB must be an integer from 1 to 65536',
      ]);
    });
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ AUTH_MODE: 'secret', PORT: 'x', LOG_LEVEL: 'loud' })).toEqual([
      'JWT_SECRET is required when AUTH_MODE is secret',
      'PORT must be an integer from 0 to 65535',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('never prints a value, secret or not', () => {
    const secretValue = 'short-but-secret';
    const error = (() => {
      try {
        parseRelayConfig({ AUTH_MODE: 'secret', JWT_SECRET: secretValue, PORT: 'port-value-here' });
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(error.message).toBe(
      'Invalid configuration: JWT_SECRET must be at least 32 characters; PORT must be an integer from 0 to 65535',
    );
    expect(error.message).not.toContain(secretValue);
    expect(error.message).not.toContain('port-value-here');
  });
});

describe('parseRelayConfig: Redis topologies (one server, Sentinel, Cluster)', () => {
  const KEY = 'a-deployment-secret-that-is-long-enough-0123';

  it('reads a Sentinel set with its primary, ACL user, passwords and TLS', () => {
    const config = parseRelayConfig({
      ...secretEnv,
      REDIS_SENTINELS: 'sentinel-0.redis:26379, sentinel-1.redis,[fd00::7]:26380',
      REDIS_SENTINEL_MASTER: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'sentinel-pass',
      REDIS_USERNAME: 'relay',
      REDIS_PASSWORD: 'data-pass',
      REDIS_TLS: 'true',
      CACHE_ENCRYPTION_KEY: KEY,
    });
    expect(config.redis).toEqual({
      topology: {
        kind: 'sentinel',
        sentinels: [
          { host: 'sentinel-0.redis', port: 26379 },
          { host: 'sentinel-1.redis', port: 26379 },
          { host: 'fd00::7', port: 26380 },
        ],
        masterName: 'mymaster',
        sentinelPassword: 'sentinel-pass',
        username: 'relay',
        password: 'data-pass',
        tls: true,
      },
      keyPrefix: 'qualys-relay:',
      encryptionKey: KEY,
    });
  });

  it('reads Cluster seed nodes; the port defaults to 6379 and TLS to off', () => {
    const config = parseRelayConfig({
      ...secretEnv,
      REDIS_CLUSTER_NODES: '10.0.0.1:7000,redis-cluster',
      CACHE_ENCRYPTION_KEY: KEY,
    });
    expect(config.redis).toEqual({
      topology: {
        kind: 'cluster',
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: 'redis-cluster', port: 6379 },
        ],
        tls: false,
      },
      keyPrefix: 'qualys-relay:',
      encryptionKey: KEY,
    });
  });

  it.each([
    [
      'two topologies',
      { REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'a:7000', CACHE_ENCRYPTION_KEY: KEY },
      ['REDIS_URL, REDIS_CLUSTER_NODES are set together: choose one Redis topology'],
    ],
    [
      'three topologies',
      {
        REDIS_URL: 'redis://r:6379',
        REDIS_SENTINELS: 's:26379',
        REDIS_SENTINEL_MASTER: 'm',
        REDIS_CLUSTER_NODES: 'a:7000',
      },
      [
        'REDIS_SENTINEL_MASTER is set but applies only with REDIS_SENTINELS',
        'REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES are set together: choose one Redis topology',
      ],
    ],
    [
      'Sentinel without the key',
      { REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_MASTER: 'm' },
      ['CACHE_ENCRYPTION_KEY is required when REDIS_SENTINELS is set'],
    ],
    [
      'Cluster without the key',
      { REDIS_CLUSTER_NODES: 'a:7000' },
      ['CACHE_ENCRYPTION_KEY is required when REDIS_CLUSTER_NODES is set'],
    ],
    [
      'Sentinel without its primary',
      { REDIS_SENTINELS: 's:26379', CACHE_ENCRYPTION_KEY: KEY },
      ['REDIS_SENTINEL_MASTER is required when REDIS_SENTINELS is set'],
    ],
    [
      'a Sentinel variable with Cluster',
      { REDIS_CLUSTER_NODES: 'a:7000', REDIS_SENTINEL_MASTER: 'm', CACHE_ENCRYPTION_KEY: KEY },
      ['REDIS_SENTINEL_MASTER is set but applies only with REDIS_SENTINELS'],
    ],
    [
      'data-node credentials with REDIS_URL',
      { REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'p', CACHE_ENCRYPTION_KEY: KEY },
      [
        'REDIS_PASSWORD is set but applies only with REDIS_SENTINELS or REDIS_CLUSTER_NODES (REDIS_URL carries its own; rediss:// for TLS)',
      ],
    ],
    [
      'data-node credentials without a topology',
      { REDIS_USERNAME: 'u', REDIS_TLS: 'true' },
      [
        'REDIS_USERNAME, REDIS_TLS are set but apply only with REDIS_SENTINELS or REDIS_CLUSTER_NODES',
      ],
    ],
    [
      'a node that is not host:port',
      { REDIS_CLUSTER_NODES: 'a:7000,redis://b:7001', CACHE_ENCRYPTION_KEY: KEY },
      ['REDIS_CLUSTER_NODES must be a comma-separated list of host:port'],
    ],
    [
      'a port out of range',
      { REDIS_SENTINELS: 's:70000', REDIS_SENTINEL_MASTER: 'm', CACHE_ENCRYPTION_KEY: KEY },
      ['REDIS_SENTINELS must be a comma-separated list of host:port'],
    ],
    [
      'REDIS_TLS not a boolean',
      { REDIS_CLUSTER_NODES: 'a:7000', REDIS_TLS: 'yes', CACHE_ENCRYPTION_KEY: KEY },
      ['REDIS_TLS must be true or false'],
    ],
  ])('stops start-up naming the variables: %s', (_name, env, problems) => {
    expect(problemsOf({ ...secretEnv, ...env })).toEqual(problems);
  });

  it('never prints a Redis password', () => {
    const problems = problemsOf({
      ...secretEnv,
      REDIS_URL: 'redis://:url-secret@r:6379',
      REDIS_CLUSTER_NODES: 'a:7000',
      REDIS_PASSWORD: 'data-secret',
      REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    }).join('; ');
    for (const secret of ['url-secret', 'data-secret', 'sentinel-secret']) {
      expect([secret, problems.includes(secret)]).toEqual([secret, false]);
    }
  });
});

describe('parseRelayConfig: the operations port and the docs switch', () => {
  it('moves operations to OPS_PORT and turns the docs off on request', () => {
    const config = parseRelayConfig({ ...secretEnv, OPS_PORT: '9091', DOCS_ENABLED: 'false' });
    expect([config.port, config.opsPort, config.docsEnabled]).toEqual([9090, 9091, false]);
  });

  it('keeps everything on PORT with the docs on by default', () => {
    const config = parseRelayConfig(secretEnv);
    expect([config.opsPort, config.docsEnabled]).toEqual([undefined, true]);
  });

  it.each([
    ['equal to PORT', { PORT: '8080', OPS_PORT: '8080' }, ['OPS_PORT must differ from PORT']],
    ['the default PORT', { OPS_PORT: '9090' }, ['OPS_PORT must differ from PORT']],
    ['not a port', { OPS_PORT: '70000' }, ['OPS_PORT must be an integer from 0 to 65535']],
    ['DOCS_ENABLED', { DOCS_ENABLED: 'off' }, ['DOCS_ENABLED must be true or false']],
  ])('stops start-up naming the variable: %s', (_name, env, problems) => {
    expect(problemsOf({ ...secretEnv, ...env })).toEqual(problems);
  });
});
