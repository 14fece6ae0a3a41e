import { Cluster, Redis, type ClusterOptions, type Command, type RedisOptions } from 'ioredis';
import type { RedisTopology } from '../../config/relay-config.js';

/** A connection to the shared state, whatever its topology: ioredis's own clients. */
export type RedisClient = Redis | Cluster;

/** Longest pause between reconnect attempts. */
export const MAX_RECONNECT_DELAY_MS = 1000;
export const COMMAND_TIMEOUT_MS = 500;
/** How long a closing socket may take before it is destroyed (ioredis's default is 2 s). */
export const DISCONNECT_TIMEOUT_MS = 200;

/** 50 ms, 100 ms, … capped at a second, with jitter so replicas do not reconnect in step. */
function reconnectDelay(attempt: number): number {
  return (
    Math.min(MAX_RECONNECT_DELAY_MS, 50 * 2 ** Math.min(attempt, 10)) +
    Math.floor(Math.random() * 50)
  );
}

/**
 * What every connection to a data node gets (see redis-connection.ts for
 * why): fail fast, never queue or replay a command, reconnect for ever.
 */
const DATA_NODE_OPTIONS = {
  lazyConnect: true,
  commandTimeout: COMMAND_TIMEOUT_MS,
  connectTimeout: 2000,
  disconnectTimeout: DISCONNECT_TIMEOUT_MS,
  // A command in flight when the connection drops fails at once; it is not
  // replayed later (its caller already answered from this process).
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  disableClientInfo: true,
  // A primary demoted to a replica (a Sentinel or Cluster failover that kept
  // it alive) refuses writes with READONLY: reconnect, which finds the new primary.
  reconnectOnError: (error: Error) => isReadOnlyError(error),
} satisfies RedisOptions;

/** True when `error` is a replica's refusal of a write (see `DATA_NODE_OPTIONS`). */
export function isReadOnlyError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('READONLY');
}

/**
 * The ioredis client of one topology (spec §14). Not connected yet
 * (`lazyConnect`): `RedisConnection` connects it.
 *
 * * server: `redis://` / `rediss://` (TLS from the scheme, system CAs).
 * * Sentinel: ioredis asks the Sentinels for the primary on every
 *   (re)connect and, with `failoverDetector`, drops the connection as soon
 *   as they announce a new one; `role: 'master'` refuses a replica.
 * * Cluster: ioredis discovers the slots from the seed nodes and sends each
 *   command to its slot's primary; the relay's multi-key scripts name keys
 *   of one hash tag (spec §9), so each runs on one node.
 */
export function createRedisClient(topology: RedisTopology, connectionName: string): RedisClient {
  if (topology.kind === 'server') {
    return new Redis(topology.url, {
      ...DATA_NODE_OPTIONS,
      enableOfflineQueue: false,
      connectionName,
      retryStrategy: reconnectDelay,
    });
  }
  const tls = topology.tls ? {} : undefined;
  const auth = {
    ...(topology.username === undefined ? {} : { username: topology.username }),
    ...(topology.password === undefined ? {} : { password: topology.password }),
    ...(tls === undefined ? {} : { tls }),
  };
  if (topology.kind === 'sentinel') {
    return new Redis({
      ...DATA_NODE_OPTIONS,
      ...auth,
      enableOfflineQueue: false,
      connectionName,
      retryStrategy: reconnectDelay,
      sentinels: topology.sentinels,
      name: topology.masterName,
      role: 'master',
      ...(topology.sentinelPassword === undefined
        ? {}
        : { sentinelPassword: topology.sentinelPassword }),
      ...(tls === undefined ? {} : { sentinelTLS: tls, enableTLSForSentinelMode: true }),
      sentinelCommandTimeout: COMMAND_TIMEOUT_MS,
      // Each attempt takes the next Sentinel; after a pass over them all, the same back-off.
      sentinelRetryStrategy: reconnectDelay,
      failoverDetector: true,
    });
  }
  const options: ClusterOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: reconnectDelay,
    slotsRefreshTimeout: 2000,
    redisOptions: { ...DATA_NODE_OPTIONS, ...auth, connectionName },
  };
  return new Cluster(topology.nodes, options);
}

/** What logs may show of a topology: hosts and ports, never a password. */
export function describeTopology(topology: RedisTopology): string {
  if (topology.kind === 'server') return `Redis at ${new URL(topology.url).host}`;
  const list = (nodes: { host: string; port: number }[]) =>
    nodes.map((node) => `${hostForLog(node.host)}:${node.port}`).join(',');
  if (topology.kind === 'sentinel') {
    return `Redis primary "${topology.masterName}" of the Sentinels at ${list(topology.sentinels)}`;
  }
  return `Redis Cluster at ${list(topology.nodes)}`;
}

function hostForLog(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Spec §9: a Redis that is not on this host and asks for no password is
 * warned about. Returns the hosts that deserve the warning.
 */
export function unprotectedHosts(topology: RedisTopology): string[] {
  if (topology.kind === 'server') {
    const parsed = new URL(topology.url);
    return parsed.password === '' && !isLoopback(parsed.hostname) ? [parsed.host] : [];
  }
  if (topology.password !== undefined) return [];
  const nodes = topology.kind === 'sentinel' ? topology.sentinels : topology.nodes;
  return nodes.filter((node) => !isLoopback(node.host)).map((node) => hostForLog(node.host));
}

function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    hostname === '[::1]' ||
    hostname === '::1'
  );
}

/** Told about each command (tracing, spec §14): its name only; the result ends it. */
export type RedisCommandObserver = (command: string) => (failed: boolean) => void;

/** Makes `observer` see every command `client` sends (not the per-node connections of a Cluster). */
export function observeCommands(client: RedisClient, observer: RedisCommandObserver): void {
  const send = client.sendCommand.bind(client) as (
    command: Command,
    ...rest: unknown[]
  ) => Promise<unknown>;
  const observed = (command: Command, ...rest: unknown[]): Promise<unknown> => {
    const end = observer(command.name);
    const result = send(command, ...rest);
    result.then(
      () => end(false),
      () => end(true),
    );
    return result;
  };
  client.sendCommand = observed as typeof client.sendCommand;
}
