import type { InflightStore } from './limit-stores.js';

/**
 * Coalescing in one process needs no store: `SearchSharing` shares one promise
 * per search. So every caller owns its search, and nobody waits for another.
 */
export class MemoryInflight implements InflightStore {
  claim(_credentialsId: string, _coalesceKey: string, _ttlMs: number): Promise<boolean> {
    return Promise.resolve(true);
  }

  finish(_credentialsId: string, _coalesceKey: string): Promise<void> {
    return Promise.resolve();
  }

  finished(
    _credentialsId: string,
    _coalesceKey: string,
    _maxWaitMs: number,
    _signal?: AbortSignal,
  ): Promise<void> {
    return Promise.resolve();
  }
}
