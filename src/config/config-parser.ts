import { getHeapStatistics } from 'node:v8';
import { parseEgressSettings } from './egress-settings.js';
import { checkQualysUrl } from '../common/qualys-url-policy.js';
import { parseCidr } from '../common/address-policy.js';
import {
  DEFAULT_JWKS_HOSTS,
  DEFAULT_QUALYS_HOSTS,
  type AuthConfig,
  type QualysConfig,
  type RedisConfig,
  type RedisNode,
  type RedisTopology,
  type RelayConfig,
} from './relay-config.js';

export type Env = Record<string, string | undefined>;

/**
 * Thrown when the environment does not describe a usable service. Its message
 * names every offending variable and why, never the value (a value may be a
 * secret, spec §8).
 */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigValidationError';
  }
}

const MIB = 1024 * 1024;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads variables one at a time, collecting every problem before failing. */
class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  required(name: string, why: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) this.problems.push(`${name} is required ${why}`);
    return value;
  }

  integer(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return Number(value);
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    this.problems.push(`${name} must be true or false`);
    return fallback;
  }

  list(name: string, fallback: string[]): string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const items = value
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter((item) => item !== '');
    if (items.length === 0) this.problems.push(`${name} must list at least one host`);
    return items;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T | undefined {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return value as T;
  }
}

const HOST_PORT =
  /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/;

function checkHosts(reader: EnvReader, name: string, hosts: string[], wildcards: boolean): void {
  const bad = hosts.some((host) => !HOST_PORT.test(host) || (!wildcards && host.startsWith('*.')));
  if (bad) reader.problems.push(`${name} must be a comma-separated list of host[:port] names`);
}

function parseAuth(reader: EnvReader): AuthConfig | undefined {
  const mode = reader.oneOf('AUTH_MODE', ['secret', 'jwks'] as const);
  if (mode === undefined) {
    if (reader.raw('AUTH_MODE') === undefined)
      reader.problems.push('AUTH_MODE is required (secret or jwks)');
    return undefined;
  }
  if (mode === 'secret') {
    const secret = reader.required('JWT_SECRET', 'when AUTH_MODE is secret');
    if (secret !== undefined && secret.length < 32) {
      reader.problems.push('JWT_SECRET must be at least 32 characters');
    }
    return secret === undefined ? undefined : { mode, secret };
  }
  const audience = reader.required('JWT_AUDIENCE', 'when AUTH_MODE is jwks');
  const jwksHostAllowlist = reader.list('JWKS_HOST_ALLOWLIST', DEFAULT_JWKS_HOSTS);
  checkHosts(reader, 'JWKS_HOST_ALLOWLIST', jwksHostAllowlist, false);
  const jwksCacheTtlMs = reader.integer('JWKS_CACHE_TTL_SEC', 600, 1, 86_400) * 1000;
  const jwksTimeoutMs = reader.integer('JWKS_TIMEOUT_MS', 5000, 100, 60_000);
  return audience === undefined
    ? undefined
    : { mode, audience, jwksHostAllowlist, jwksCacheTtlMs, jwksTimeoutMs };
}

function parseQualys(reader: EnvReader, deadlineMs: number): QualysConfig {
  const hostAllowlist = reader.list('QUALYS_HOST_ALLOWLIST', DEFAULT_QUALYS_HOSTS);
  checkHosts(reader, 'QUALYS_HOST_ALLOWLIST', hostAllowlist, true);
  const allowInsecure = reader.boolean('QUALYS_ALLOW_INSECURE', false);
  const policy = { hostAllowlist, allowInsecure };

  // Default URLs obey the same policy as URLs carried by tokens (spec §3).
  const url = (name: string): string | undefined => {
    const raw = reader.raw(name);
    if (raw === undefined) return undefined;
    const checked = checkQualysUrl(raw, policy);
    if (!checked.ok) {
      reader.problems.push(`${name} is not an allowed Qualys URL (${checked.reason})`);
      return undefined;
    }
    return checked.url;
  };

  const apiVersion = reader.raw('QUALYS_API_VERSION');
  if (apiVersion !== undefined && !/^v\d+$/.test(apiVersion)) {
    reader.problems.push('QUALYS_API_VERSION must look like v1');
  }
  const concurrency = reader.integer('QUALYS_CONCURRENCY', 64, 1, 1024);
  return {
    apiUrl: url('QUALYS_API_URL'),
    platformUrl: url('QUALYS_PLATFORM_URL'),
    hostAllowlist,
    allowInsecure,
    addressAllowlist: parseAddressAllowlist(reader),
    timeoutMs: reader.integer('QUALYS_TIMEOUT_MS', 10_000, 100, 300_000),
    // Spec §9: a search's retry budget never outlives the request's deadline.
    budgetMs: reader.integer('QUALYS_BUDGET_MS', deadlineMs, 100, deadlineMs),
    retries: reader.integer('QUALYS_RETRIES', 2, 0, 10),
    concurrency,
    apiVersion,
    subscriptionConcurrency: reader.integer('QUALYS_SUBSCRIPTION_CONCURRENCY', 2, 1, concurrency),
    // Spec §15: what headers may raise a subscription to, so one cannot take every process slot.
    subscriptionConcurrencyMax: reader.integer(
      'QUALYS_SUBSCRIPTION_CONCURRENCY_MAX',
      Math.min(16, concurrency),
      1,
      concurrency,
    ),
    cacheTtlMs: reader.integer('QUALYS_CACHE_TTL_SEC', 60, 0, 86_400) * 1000,
    cacheMaxBytes: reader.integer('QUALYS_CACHE_MAX_MB', 32, 1, 65_536) * MIB,
    maxAnswerBytes: reader.integer('QUALYS_MAX_ANSWER_MB', 8, 1, 1024) * MIB,
    batchSize: reader.integer('QUALYS_BATCH_SIZE', 20, 1, 50),
  };
}

/** Spec §3: CIDRs a Qualys host may resolve to although they are private; default none. */
function parseAddressAllowlist(reader: EnvReader): string[] {
  const name = 'QUALYS_ADDRESS_ALLOWLIST';
  const items = (reader.raw(name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.some((item) => parseCidr(item) === undefined)) {
    reader.problems.push(`${name} must be a comma-separated list of CIDRs such as 10.20.0.0/16`);
    return [];
  }
  return items;
}

/**
 * Spec §15: work and memory in flight. The cache, the memory budget and one
 * request's answer must fit in three quarters of V8's heap, so what is
 * bounded cannot exhaust the process (the rest is for everything unbounded
 * but small: modules, sockets, the request being parsed).
 */
function parseStayingUp(
  reader: EnvReader,
  cacheMaxBytes: number,
  heapLimitBytes: number,
): Pick<RelayConfig, 'maxPendingSearches' | 'memoryBudgetBytes' | 'maxAnswerBytes'> {
  const problems = reader.problems.length;
  const bounds = {
    // Two units per observable (active and historical): at least one observable per request.
    maxPendingSearches: reader.integer('RELAY_MAX_PENDING_SEARCHES', 5000, 4, 10_000_000),
    memoryBudgetBytes: reader.integer('RELAY_MEMORY_BUDGET_MB', 48, 1, 65_536) * MIB,
    maxAnswerBytes: reader.integer('RELAY_MAX_ANSWER_MB', 16, 1, 65_536) * MIB,
  };
  const bounded = cacheMaxBytes + bounds.memoryBudgetBytes + bounds.maxAnswerBytes;
  if (reader.problems.length === problems && bounded > heapLimitBytes * 0.75) {
    reader.problems.push(
      'QUALYS_CACHE_MAX_MB + RELAY_MEMORY_BUDGET_MB + RELAY_MAX_ANSWER_MB must fit in three quarters of the V8 heap limit (lower them, or raise --max-old-space-size in NODE_OPTIONS)',
    );
  }
  return bounds;
}

const REDIS_KEY_PREFIX = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Spec §14: the variables that each name a topology; at most one may be set. */
const TOPOLOGY_VARIABLES = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;
const SENTINEL_ONLY = ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD'];
const DATA_NODE_AUTH = ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS'];

/** `host`, `host:port`, `[v6]:port`: a node of a Sentinel set or a Cluster. */
const REDIS_NODE =
  /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?))(?::(\d{1,5}))?$/;

function parseRedis(reader: EnvReader): RedisConfig | undefined {
  const keyPrefix = reader.string('REDIS_KEY_PREFIX', 'qualys-relay:') as string;
  if (!REDIS_KEY_PREFIX.test(keyPrefix)) {
    reader.problems.push('REDIS_KEY_PREFIX must be 1 to 64 letters, digits or _ . : -');
  }
  const named = TOPOLOGY_VARIABLES.filter((name) => reader.raw(name) !== undefined);
  if (named.length !== 1 || named[0] !== 'REDIS_SENTINELS') {
    stray(reader, SENTINEL_ONLY, 'only with REDIS_SENTINELS');
  }
  if (named.length === 0) {
    stray(reader, DATA_NODE_AUTH, 'only with REDIS_SENTINELS or REDIS_CLUSTER_NODES');
    return undefined;
  }
  if (named.length > 1) {
    reader.problems.push(`${named.join(', ')} are set together: choose one Redis topology`);
    return undefined;
  }
  const topology = parseTopology(reader, named[0]);
  const encryptionKey = reader.required('CACHE_ENCRYPTION_KEY', `when ${named[0]} is set`);
  if (encryptionKey !== undefined && encryptionKey.length < 32) {
    reader.problems.push('CACHE_ENCRYPTION_KEY must be at least 32 characters');
  }
  return topology !== undefined && encryptionKey !== undefined
    ? { topology, keyPrefix, encryptionKey }
    : undefined;
}

function parseTopology(
  reader: EnvReader,
  name: (typeof TOPOLOGY_VARIABLES)[number],
): RedisTopology | undefined {
  if (name === 'REDIS_URL') {
    const url = reader.raw(name) as string;
    stray(
      reader,
      DATA_NODE_AUTH,
      'only with REDIS_SENTINELS or REDIS_CLUSTER_NODES (REDIS_URL carries its own; rediss:// for TLS)',
    );
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    const valid =
      parsed !== undefined &&
      (parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') &&
      parsed.hostname !== '';
    if (!valid) reader.problems.push('REDIS_URL must be a redis:// or rediss:// URL with a host');
    return valid ? { kind: 'server', url } : undefined;
  }
  const auth = {
    ...optional('username', reader.raw('REDIS_USERNAME')),
    ...optional('password', reader.raw('REDIS_PASSWORD')),
    tls: reader.boolean('REDIS_TLS', false),
  };
  const nodes = parseRedisNodes(reader, name, name === 'REDIS_SENTINELS' ? 26_379 : 6379);
  if (name === 'REDIS_CLUSTER_NODES') {
    return nodes === undefined ? undefined : { kind: 'cluster', nodes, ...auth };
  }
  const masterName = reader.required('REDIS_SENTINEL_MASTER', 'when REDIS_SENTINELS is set');
  if (nodes === undefined || masterName === undefined) return undefined;
  return {
    kind: 'sentinel',
    sentinels: nodes,
    masterName,
    ...optional('sentinelPassword', reader.raw('REDIS_SENTINEL_PASSWORD')),
    ...auth,
  };
}

/** Variables of another topology than the one set: `X is set but applies only with …`. */
function stray(reader: EnvReader, names: string[], where: string): void {
  const set = names.filter((name) => reader.raw(name) !== undefined);
  if (set.length === 0) return;
  const verb = set.length === 1 ? 'is set but applies' : 'are set but apply';
  reader.problems.push(`${set.join(', ')} ${verb} ${where}`);
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** `host[:port],…` (IPv6 in brackets); the port defaults to the kind's usual one. */
function parseRedisNodes(
  reader: EnvReader,
  name: string,
  defaultPort: number,
): RedisNode[] | undefined {
  const items = (reader.raw(name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  const nodes = items.map((item): RedisNode | undefined => {
    const match = REDIS_NODE.exec(item);
    const port = match?.[3] === undefined ? defaultPort : Number(match[3]);
    if (match === null || port < 1 || port > 65_535) return undefined;
    return { host: match[1] ?? match[2], port };
  });
  if (items.length === 0 || nodes.some((node) => node === undefined)) {
    reader.problems.push(`${name} must be a comma-separated list of host:port`);
    return undefined;
  }
  return nodes as RedisNode[];
}

/** Spec §14: the operations port and the docs switch. */
function parseOperations(
  reader: EnvReader,
  port: number,
): { opsPort?: number; docsEnabled: boolean } {
  const docsEnabled = reader.boolean('DOCS_ENABLED', true);
  if (reader.raw('OPS_PORT') === undefined) return { docsEnabled };
  const opsPort = reader.integer('OPS_PORT', -1, 0, 65_535);
  if (opsPort === -1) return { docsEnabled };
  if (opsPort === port) reader.problems.push('OPS_PORT must differ from PORT');
  return { opsPort, docsEnabled };
}

/**
 * Parses and validates the whole environment once (spec §8). Throws a
 * `ConfigValidationError` listing every bad variable by name. `heapLimitBytes`
 * is V8's heap limit of this process (spec §15 start-up check).
 */
export function parseRelayConfig(
  env: Env,
  heapLimitBytes: number = getHeapStatistics().heap_size_limit,
): RelayConfig {
  const reader = new EnvReader(env);
  const auth = parseAuth(reader);
  const deadlineMs = reader.integer('RELAY_DEADLINE_MS', 20_000, 1000, 300_000);
  const qualys = parseQualys(reader, deadlineMs);
  const redis = parseRedis(reader);
  const egress = parseEgressSettings(env, reader.problems);
  // Spec §3: no tenant (token) and no default may ask Qualys for larger pages.
  const entitiesLimitMax = reader.integer('CTR_ENTITIES_LIMIT_MAX', 1000, 1, 10_000);
  const config = {
    port: reader.integer('PORT', 9090, 0, 65_535),
    host: reader.string('HOST', '0.0.0.0') as string,
    auth,
    qualys,
    entitiesLimit: reader.integer('CTR_ENTITIES_LIMIT', 100, 1, entitiesLimitMax),
    entitiesLimitMax,
    maxObservables: reader.integer('RELAY_MAX_OBSERVABLES', 1000, 1, 100_000),
    bodyLimitBytes: reader.integer('RELAY_BODY_LIMIT_BYTES', 1_048_576, 1024, 104_857_600),
    ...parseStayingUp(reader, qualys.cacheMaxBytes, heapLimitBytes),
    logLevel: reader.oneOf('LOG_LEVEL', LOG_LEVELS, 'info') as string,
    deadlineMs,
    // Spec §9: a rolling update lets every in-flight request reach its deadline.
    shutdownTimeoutMs: reader.integer('SHUTDOWN_TIMEOUT_MS', deadlineMs + 1000, 0, 600_000),
    rateLimitPerMinute: reader.integer('RATE_LIMIT_PER_MINUTE', 0, 0, 1_000_000),
    trustProxyHops: reader.integer('TRUST_PROXY_HOPS', 0, 0, 10),
    egress,
    readiness: {
      maxEventLoopDelayMs: reader.integer('READINESS_MAX_EVENT_LOOP_DELAY_MS', 1000, 10, 60_000),
      maxHeapUsedMb: reader.integer('READINESS_MAX_HEAP_USED_MB', 0, 0, 1_048_576),
    },
    // Spec §13: how long Threat Response may keep a verdict.
    verdictValidSec: reader.integer('VERDICT_VALID_SEC', 3600, 60, 86_400),
  };
  const operations = parseOperations(reader, config.port);
  if (reader.problems.length > 0 || auth === undefined) {
    throw new ConfigValidationError(reader.problems);
  }
  const parsed = { ...config, ...operations, auth };
  return redis === undefined ? parsed : { ...parsed, redis };
}
