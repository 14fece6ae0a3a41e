import type { CachedSearch, ResultStore } from './limit-stores.js';
import type { RedisConnection } from './redis-connection.js';
import type { ResultCipher } from './result-cipher.js';
import type { StateKeys } from './state-keys.js';

/**
 * Search answers shared by every replica (spec §9), sealed by
 * `ResultCipher`: Redis holds neither events, page sizes nor fetch times in clear.
 * Entries expire with their TTL (`SET … PX`); Redis's memory policy is
 * the operator's. A value that does not open or parse is a miss.
 *
 * `get` and `set` reject when Redis fails: the fallback in
 * `createLimitStores` then answers from this process.
 */
export class RedisResults implements ResultStore {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: StateKeys,
    private readonly cipher: ResultCipher,
  ) {}

  async get(credentialsId: string, cacheKey: string): Promise<CachedSearch | undefined> {
    const key = this.keys.resultKey(credentialsId, cacheKey);
    const sealed = await this.connection.client.getBuffer(key);
    if (sealed === null) return undefined;
    const opened = this.cipher.open(credentialsId, key, sealed);
    return opened === undefined ? undefined : parseCachedSearch(opened);
  }

  async set(
    credentialsId: string,
    cacheKey: string,
    value: CachedSearch,
    ttlMs: number,
  ): Promise<void> {
    if (ttlMs <= 0) return;
    const ttl = Math.ceil(ttlMs);
    const key = this.keys.resultKey(credentialsId, cacheKey);
    const plaintext = Buffer.from(
      JSON.stringify({
        pageSize: value.pageSize,
        eventsJson: value.eventsJson,
        fetchedAt: value.fetchedAt,
      }),
    );
    const sealed = this.cipher.seal(credentialsId, key, plaintext, Date.now() + ttl);
    await this.connection.client.set(key, sealed, 'PX', ttl);
  }
}

function parseCachedSearch(plaintext: Buffer): CachedSearch | undefined {
  try {
    const parsed: unknown = JSON.parse(plaintext.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { pageSize, eventsJson, fetchedAt } = parsed as Record<string, unknown>;
    if (typeof pageSize !== 'number' || typeof eventsJson !== 'string') return undefined;
    // An entry written before the fetch time was kept is a miss: its verdict could not say when.
    if (typeof fetchedAt !== 'number' || !Number.isFinite(fetchedAt)) return undefined;
    return { pageSize, eventsJson, fetchedAt };
  } catch {
    return undefined;
  }
}
