import { Injectable } from '@nestjs/common';
import type { QualysCredentials } from '../auth/relay-context.js';
import { credentialsDigest } from './credential-identity.js';

/** Spec §7: Qualys tokens live four hours. */
export const TOKEN_LIFETIME_MS = 4 * 60 * 60 * 1000;
/** Refresh this long before expiry, so a token never dies mid-request. */
export const TOKEN_REFRESH_MARGIN_MS = 10 * 60 * 1000;
/** Bound on distinct (API URL, credentials) pairs kept, oldest dropped first. */
const MAX_ENTRIES = 1000;

interface CachedToken {
  token: string;
  expiresAt: number;
}

export type TokenFetcher = () => Promise<string>;

export type TokenLookup = 'hit' | 'miss' | 'shared';

/**
 * Qualys tokens, reused across requests for the same credentials and API URL
 * (spec §7). Concurrent requests share one fetch; a failed fetch is never
 * cached. The key is a hash, so no password sits in memory as a map key or
 * can end up in a heap dump's key list or a log line.
 */
@Injectable()
export class QualysTokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * One key per (API URL, user, password): the digest of the credentials'
   * identity (credential-identity.ts), the same identity the shared state
   * keys by.
   */
  static keyOf(apiUrl: string, credentials: QualysCredentials): string {
    return credentialsDigest(apiUrl, credentials.user, credentials.pass);
  }

  /** A valid token for `key`, fetching one (once, shared) when needed. */
  async get(
    key: string,
    fetch: TokenFetcher,
    onLookup?: (kind: TokenLookup) => void,
  ): Promise<string> {
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - TOKEN_REFRESH_MARGIN_MS > this.now()) {
      onLookup?.('hit');
      return cached.token;
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      onLookup?.('shared');
      return pending;
    }
    onLookup?.('miss');
    const started = this.now();
    const fetching = fetch()
      .then((token) => {
        this.remember(key, { token, expiresAt: started + TOKEN_LIFETIME_MS });
        return token;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, fetching);
    return fetching;
  }

  /**
   * Forgets `token` after Qualys refused it — only if it is still the cached
   * one, so many requests hitting the same 401 cause one refresh, not many.
   */
  invalidate(key: string, token: string): void {
    if (this.tokens.get(key)?.token === token) this.tokens.delete(key);
  }

  private remember(key: string, entry: CachedToken): void {
    this.tokens.delete(key);
    this.tokens.set(key, entry);
    if (this.tokens.size > MAX_ENTRIES) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
  }
}
