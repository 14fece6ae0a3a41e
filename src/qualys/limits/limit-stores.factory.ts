// PLACEHOLDER until the Redis stores land: in-process stores only.
import type { RelayConfig } from '../../config/relay-config.js';
import type { InflightStore, ResultStore, SubscriptionGate } from './limit-stores.js';
import { MemoryGate } from './memory-gate.js';
import { MemoryInflight } from './memory-inflight.js';
import { MemoryResults } from './memory-results.js';
import { StateKeys } from './state-keys.js';

export type RedisState = 'off' | 'up' | 'down';

export interface LimitStores {
  keys: StateKeys;
  gate: SubscriptionGate;
  results: ResultStore;
  inflight: InflightStore;
  redisState(): RedisState;
  onRedisStateChange(listener: (state: RedisState) => void): void;
  close(): Promise<void>;
}

export function createLimitStores(config: RelayConfig): LimitStores {
  return {
    keys: new StateKeys(),
    gate: new MemoryGate(),
    results: new MemoryResults(config.qualys.cacheMaxBytes),
    inflight: new MemoryInflight(),
    redisState: () => 'off',
    onRedisStateChange: () => undefined,
    close: () => Promise.resolve(),
  };
}
