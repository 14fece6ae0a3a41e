import type { RelayConfig } from '../../config/relay-config.js';
import { FallbackGate, FallbackInflight, FallbackResults } from './fallback-stores.js';
import type { InflightStore, ResultStore, SubscriptionGate } from './limit-stores.js';
import { MemoryGate } from './memory-gate.js';
import { MemoryInflight } from './memory-inflight.js';
import { MemoryResults } from './memory-results.js';
import type { RedisCommandObserver } from './redis-clients.js';
import { RedisConnection } from './redis-connection.js';
import { RedisGate } from './redis-gate.js';
import { RedisInflight } from './redis-inflight.js';
import { RedisResults } from './redis-results.js';
import { ResultCipher } from './result-cipher.js';
import { StateKeys } from './state-keys.js';

/** `off`: no Redis topology configured; `up` / `down`: where the calls go now. */
export type RedisState = 'off' | 'up' | 'down';

/** The state behind spec §9, as the scheduler and the Qualys client use it. */
export interface LimitStores {
  readonly keys: StateKeys;
  readonly gate: SubscriptionGate;
  readonly results: ResultStore;
  readonly inflight: InflightStore;
  redisState(): RedisState;
  /** Calls `listener` on every change between `up` and `down` (never when `off`); returns the unsubscribe. */
  onRedisStateChange(listener: (state: 'up' | 'down') => void): () => void;
  /** Closes the Redis connections (nothing to do without Redis). */
  close(): Promise<void>;
}

/**
 * Without Redis: this process's stores, and a random per-process key
 * secret (ids never leave the process). With it (one server, Sentinel or
 * Cluster, spec §14): Redis while it is up, this
 * process's stores while it is down (spec §9, "Redis down"). Never throws
 * and never waits for Redis: the connection opens in the background.
 */
export function createLimitStores(
  config: RelayConfig,
  redisCommands?: RedisCommandObserver,
): LimitStores {
  const memory = {
    gate: new MemoryGate(),
    results: new MemoryResults(config.qualys.cacheMaxBytes, config.qualys.cacheTtlMs),
    inflight: new MemoryInflight(),
  };
  if (config.redis === undefined) {
    return {
      keys: new StateKeys(undefined, undefined, true),
      ...memory,
      redisState: () => 'off',
      onRedisStateChange: () => () => undefined,
      close: () => {
        memory.results.close();
        return Promise.resolve();
      },
    };
  }

  const { topology, keyPrefix, encryptionKey } = config.redis;
  const connection = new RedisConnection(topology, redisCommands);
  const keys = new StateKeys(encryptionKey, keyPrefix);
  const stores: LimitStores = {
    keys,
    gate: new FallbackGate(new RedisGate(connection, keys), memory.gate, connection),
    results: new FallbackResults(
      new RedisResults(connection, keys, new ResultCipher(encryptionKey)),
      memory.results,
      connection,
    ),
    inflight: new FallbackInflight(
      new RedisInflight(connection, keys),
      memory.inflight,
      connection,
    ),
    redisState: () => (connection.up ? 'up' : 'down'),
    onRedisStateChange: (listener) =>
      connection.onStateChange((up) => listener(up ? 'up' : 'down')),
    close: () => {
      memory.results.close();
      return connection.close();
    },
  };
  void connection.connect();
  return stores;
}
