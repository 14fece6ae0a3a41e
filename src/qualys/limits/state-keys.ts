import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { credentialsParts, identityBytes, subscriptionParts } from '../credential-identity.js';

/**
 * Names of the state behind spec §9. Every identifier is a keyed HMAC of
 * length-prefixed parts, so a key in Redis reveals no user name, API URL,
 * password or observable, and cannot be recomputed offline without the
 * secret. The HMAC key is derived from `CACHE_ENCRYPTION_KEY` (or, in one
 * process, from a random secret) with HKDF, so it never equals the secret
 * the cache encryption keys come from.
 *
 * Redis keys carry hash tags: all keys of one subscription share
 * `{s:<subscriptionId>}` and all keys of one credential set share
 * `{c:<credentialsId>}`, so multi-key scripts run on Redis Cluster too.
 */
export class StateKeys {
  /** HKDF info: the purpose and version of the derived key, so a future format derives another one. */
  static readonly HMAC_INFO = 'qualys-relay/state-key-names/v1';

  private readonly hmacKey: Buffer;

  /**
   * @param secret `CACHE_ENCRYPTION_KEY` with Redis; omitted, a random
   *   per-process secret (in-process mode: ids never leave the process).
   * @param prefix `REDIS_KEY_PREFIX`, the start of every Redis key and channel.
   */
  /**
   * @param plainSearchKeys In one process only (no Redis), search ids never
   *   leave the process and need no HMAC: an unambiguous JSON array is as
   *   good and costs no hashing on every search (bench/: ~2% of the CPU).
   */
  constructor(
    secret: string | Buffer = randomBytes(32),
    readonly prefix = 'qualys-relay:',
    private readonly plainSearchKeys = false,
  ) {
    this.hmacKey = Buffer.from(
      hkdfSync('sha256', secret, Buffer.alloc(0), StateKeys.HMAC_INFO, 32),
    );
  }

  /** (normalised API URL, user): what Qualys limits — slots and budget. */
  subscriptionId(apiUrl: string, user: string): string {
    return this.mac(subscriptionParts(apiUrl, user));
  }

  /** (normalised API URL, user, password): what may see data — cache and coalescing. */
  credentialsId(apiUrl: string, user: string, password: string): string {
    return this.mac(credentialsParts(apiUrl, user, password));
  }

  /**
   * The cache key of a search: filter, state and page but not the page
   * size, since an answer fetched with a larger page serves a smaller one.
   */
  cacheKey(filter: string | undefined, active: boolean, page: number): string {
    if (this.plainSearchKeys) return JSON.stringify([filter ?? null, active, page]);
    return this.mac(['search', filter, active ? 'active' : 'all', String(page)]);
  }

  /** The coalescing key of a search: identical searches only, page size included. */
  coalesceKey(filter: string | undefined, active: boolean, pageSize: number, page: number): string {
    if (this.plainSearchKeys) return JSON.stringify([filter ?? null, active, pageSize, page]);
    return this.mac([
      'search-call',
      filter,
      active ? 'active' : 'all',
      String(pageSize),
      String(page),
    ]);
  }

  /** Sorted set of the subscription's slot leases (member = lease id, score = expiry). */
  slotsKey(subscriptionId: string): string {
    return `${this.subscriptionTag(subscriptionId)}:slots`;
  }

  /** Hash of the subscription's budget block (end, probe mode). */
  budgetKey(subscriptionId: string): string {
    return `${this.subscriptionTag(subscriptionId)}:budget`;
  }

  /** The one probe call's claim after a guessed budget block. */
  probeKey(subscriptionId: string): string {
    return `${this.subscriptionTag(subscriptionId)}:probe`;
  }

  /** Counter of the subscription's releases: lets a new waiter see a release it subscribed too late for. */
  releasesKey(subscriptionId: string): string {
    return `${this.subscriptionTag(subscriptionId)}:releases`;
  }

  /** Channel on which a released slot of the subscription is announced. */
  releasedChannel(subscriptionId: string): string {
    return `${this.subscriptionTag(subscriptionId)}:released`;
  }

  /** A cached search answer. */
  resultKey(credentialsId: string, cacheKey: string): string {
    return `${this.credentialsTag(credentialsId)}:r:${cacheKey}`;
  }

  /** The owner claim of a search in flight. */
  inflightKey(credentialsId: string, coalesceKey: string): string {
    return `${this.credentialsTag(credentialsId)}:f:${coalesceKey}`;
  }

  /** Channel on which the owner of a search announces it is done. */
  finishedChannel(credentialsId: string, coalesceKey: string): string {
    return `${this.credentialsTag(credentialsId)}:d:${coalesceKey}`;
  }

  private subscriptionTag(subscriptionId: string): string {
    return `${this.prefix}{s:${subscriptionId}}`;
  }

  private credentialsTag(credentialsId: string): string {
    return `${this.prefix}{c:${credentialsId}}`;
  }

  /** HMAC-SHA256 (base64url) of the parts, each prefixed with its length so no two part lists collide. */
  private mac(parts: ReadonlyArray<string | undefined>): string {
    return createHmac('sha256', this.hmacKey).update(identityBytes(parts)).digest('base64url');
  }
}
