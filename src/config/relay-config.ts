import type { EgressSettings } from './egress-settings.js';

export interface SecretAuthConfig {
  mode: 'secret';
  /** HS256 key; at least 32 characters. */
  secret: string;
}

export interface JwksAuthConfig {
  mode: 'jwks';
  /** Expected `aud`: the relay's public URL. */
  audience: string;
  /** Exact `host[:port]` values the relay may fetch keys from. */
  jwksHostAllowlist: string[];
  /** How long fetched key sets are kept, in milliseconds. */
  jwksCacheTtlMs: number;
  /** Timeout of one JWKS fetch, in milliseconds. */
  jwksTimeoutMs: number;
}

export type AuthConfig = SecretAuthConfig | JwksAuthConfig;

export interface QualysConfig {
  /** Default gateway URL when a token carries no `API_URL`. */
  apiUrl?: string;
  /** Default console URL when a token carries no `PLATFORM_URL`. */
  platformUrl?: string;
  /** Host patterns (`*.qualys.com`, `gateway.qg1.apps.qualys.eu`) URLs may name. */
  hostAllowlist: string[];
  /** Permits `http://`, loopback and private Qualys URLs and addresses (demo, tests). */
  allowInsecure: boolean;
  /**
   * CIDRs a Qualys host may resolve to although they are loopback, private or
   * otherwise internal (a private-cloud platform); empty by default (spec §3).
   */
  addressAllowlist: string[];
  /** Per-call timeout, milliseconds. */
  timeoutMs: number;
  /** Time budget of one search including its retries and waits, milliseconds. */
  budgetMs: number;
  /** How many times a 429/503 is retried. */
  retries: number;
  /** Cap on concurrent outbound Qualys searches (globally and per request). */
  concurrency: number;
  /** Optional API version path segment: `/ioc/<v>/events` when set. */
  apiVersion?: string;
  /** Concurrent calls per subscription until Qualys's headers say otherwise (spec §9). */
  subscriptionConcurrency: number;
  /**
   * Highest concurrency a subscription's headers may set (spec §15), so that
   * one subscription cannot hold every process slot.
   */
  subscriptionConcurrencyMax: number;
  /** Lifetime of a cached search answer, milliseconds; 0 disables the cache (spec §9). */
  cacheTtlMs: number;
  /** Heap the in-process result cache may hold, bytes: keys, entries and their overhead (spec §15). */
  cacheMaxBytes: number;
  /** Largest Qualys answer read, bytes, decoded (spec §15). */
  maxAnswerBytes: number;
  /** Observables asked about in one search, at most (spec §12); 1 searches each alone. */
  batchSize: number;
}

/** One `host:port` of a Sentinel or Cluster node. */
export interface RedisNode {
  host: string;
  port: number;
}

/**
 * Where the shared state lives (spec §9, §14): one server, a Sentinel set
 * watching a primary and its replicas, or a Redis Cluster.
 */
export type RedisTopology =
  | {
      kind: 'server';
      /** `redis://` or `rediss://` URL; a secret (it may carry a password). */
      url: string;
    }
  | ({
      kind: 'sentinel';
      sentinels: RedisNode[];
      /** The primary's name in the Sentinels' configuration (`sentinel monitor <name> …`). */
      masterName: string;
      /** The Sentinels' own password, when they have one; a secret. */
      sentinelPassword?: string;
    } & RedisDataNodeAuth)
  | ({
      kind: 'cluster';
      /** Seed nodes; the rest of the cluster is discovered from them. */
      nodes: RedisNode[];
    } & RedisDataNodeAuth);

/** ACL user, password (secrets) and TLS of a Sentinel's or a Cluster's data nodes. */
export interface RedisDataNodeAuth {
  username?: string;
  password?: string;
  tls: boolean;
}

/** Shared state for several replicas (spec §9); absent = this process only. */
export interface RedisConfig {
  topology: RedisTopology;
  /** Prefix of every key the relay writes. */
  keyPrefix: string;
  /** Deployment secret the cache encryption and key-name HMAC keys derive from. */
  encryptionKey: string;
}

/**
 * The service configuration, parsed and validated once at start-up from the
 * environment (spec §8). Everything else reads this typed object, never
 * `process.env`.
 */
export interface RelayConfig {
  port: number;
  /** Interface to listen on. */
  host: string;
  auth: AuthConfig;
  qualys: QualysConfig;
  /** Default entity limit (spec §5). */
  entitiesLimit: number;
  /** Cap on a token's `CTR_ENTITIES_LIMIT`, hence on the Qualys page size (spec §3). */
  entitiesLimitMax: number;
  /** Largest accepted observables array. */
  maxObservables: number;
  /** Largest accepted request body, bytes. */
  bodyLimitBytes: number;
  /**
   * Searches (one per observable and state) reserved in the process at most;
   * one request reserves at most half of them (spec §15).
   */
  maxPendingSearches: number;
  /**
   * Bytes of decoded Qualys answers being read or held and of relay answers
   * being built, process-wide; a Qualys call waits for room (spec §15).
   */
  memoryBudgetBytes: number;
  /** Largest serialized `/observe` answer, bytes; observables beyond it are left out (spec §15). */
  maxAnswerBytes: number;
  logLevel: string;
  /** Time by which every relay request answers, with what it has (spec §9), milliseconds. */
  deadlineMs: number;
  /** Grace period for in-flight requests on SIGTERM, milliseconds. */
  shutdownTimeoutMs: number;
  /** Per-client requests per minute on the relay routes; 0 turns the limit off. */
  rateLimitPerMinute: number;
  /**
   * Reverse proxies (ingress, load balancer) in front of the relay whose
   * `X-Forwarded-For` is trusted to name the client; 0 trusts none.
   */
  trustProxyHops: number;
  readiness: ReadinessConfig;
  /** Present when a Redis topology (`REDIS_URL`, `REDIS_SENTINELS`, `REDIS_CLUSTER_NODES`) is set. */
  redis?: RedisConfig;
  /** The egress proxy and extra CA of every outbound call (spec §11). */
  egress: EgressSettings;
  /** How long Threat Response may keep a verdict, seconds (spec §13). */
  verdictValidSec: number;
  /**
   * `OPS_PORT`: metrics, probes and docs on a port of their own (spec §14);
   * absent = everything on `port`.
   */
  opsPort?: number;
  /** `DOCS_ENABLED`: whether the Swagger UI and `/docs-json` are served. */
  docsEnabled: boolean;
}

/** Local thresholds of `GET /healthz/ready` (never a Qualys call). */
export interface ReadinessConfig {
  /** Unready while the event loop's p99 delay exceeds this, milliseconds. */
  maxEventLoopDelayMs: number;
  /** Unready while the V8 heap in use exceeds this, MiB; 0 means 90% of the heap limit. */
  maxHeapUsedMb: number;
}

export const DEFAULT_JWKS_HOSTS = [
  'visibility.amp.cisco.com',
  'visibility.eu.amp.cisco.com',
  'visibility.apjc.amp.cisco.com',
];

/** Spec §7: the public Qualys platforms' domains (US, EU, IN, CA, AE, UK, AU, KSA). */
export const DEFAULT_QUALYS_HOSTS = [
  '*.qualys.com',
  '*.qualys.eu',
  '*.qualys.in',
  '*.qualys.ca',
  '*.qualys.ae',
  '*.qualys.co.uk',
  '*.qualys.com.au',
  '*.qualysksa.com',
];
