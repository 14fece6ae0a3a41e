import { Logger } from '@nestjs/common';
import {
  createRemoteJWKSet,
  customFetch,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type JWTVerifyGetKey,
  type RemoteJWKSet,
} from 'jose';
import { RELAY_VERSION } from '../common/version.js';
import { AuthorizationError } from '../common/relay-error.js';
import type { FetchLike } from '../egress/egress-fetch.js';
import { AuthReason, jwksUnreachable } from './auth-reasons.js';

export interface JwksKeySetOptions {
  /** How long a fetched key set is used before it is fetched again (jose `cacheMaxAge`). */
  cacheTtlMs: number;
  /** Timeout of one fetch (jose `timeoutDuration`). */
  timeoutMs: number;
  /**
   * After a successful fetch, an unknown `kid` triggers no new fetch for this
   * long (jose `cooldownDuration`). Without it anyone could make the relay
   * re-fetch Threat Response's keys on every request by sending random kids.
   */
  cooldownMs: number;
  /** How keys are fetched: through the egress proxy (spec §11); Node's `fetch` when absent. */
  fetch?: FetchLike;
}

/** jose's own default; long enough to absorb a burst of bad tokens, short enough for key rotation. */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;

/** jose error codes that mean "the host did not give us a usable key set". */
const KEY_SET_MATCH_ERRORS = new Set([
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
  'ERR_JWK_INVALID',
]);

/**
 * One cached remote key set per allow-listed JWKS host (spec §3). Callers
 * pass only hosts that passed the allow-list, so the map is bounded by it.
 *
 * Fetching is jose's `createRemoteJWKSet`, which in 6.2.17 calls `fetch` with
 * `redirect: 'manual'` and accepts nothing but `200` with JSON: a 3xx is a
 * failed fetch, never followed (proved in jwks-token-verifier.e2e-spec.ts). Its
 * `[customFetch]` is the egress fetch (spec §11), which keeps jose's options.
 * Concurrent misses share one in-flight fetch, and an unknown `kid` reloads
 * at most once (then only after the cooldown).
 *
 * Not through axios, unlike the Qualys and Threat Response calls: jose asks
 * for a `fetch` and checks the `Response` itself (timeout, status, JSON), so
 * an axios call in between would only translate the request there and the
 * answer back.
 */
export class JwksKeySets {
  private readonly logger = new Logger('JwksKeySets');
  private readonly sets = new Map<string, RemoteJWKSet>();

  constructor(private readonly options: JwksKeySetOptions) {}

  /** A jose key resolver for `host` (`host[:port]`, already allow-listed) that throws spec reasons. */
  resolver(host: string): JWTVerifyGetKey {
    const set = this.keySet(host);
    return async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
      try {
        return await set(header, token);
      } catch (error) {
        throw this.toAuthorizationError(host, error);
      }
    };
  }

  private keySet(host: string): RemoteJWKSet {
    let set = this.sets.get(host);
    if (set === undefined) {
      // https only: the scheme is fixed here, never taken from the token.
      set = createRemoteJWKSet(new URL(`https://${host}/.well-known/jwks`), {
        cacheMaxAge: this.options.cacheTtlMs,
        timeoutDuration: this.options.timeoutMs,
        cooldownDuration: this.options.cooldownMs,
        headers: { 'User-Agent': `qualys-ioc-relay/${RELAY_VERSION}` },
        ...(this.options.fetch === undefined ? {} : { [customFetch]: this.options.fetch }),
      });
      this.sets.set(host, set);
    }
    return set;
  }

  private toAuthorizationError(host: string, error: unknown): AuthorizationError {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_JWKS_NO_MATCHING_KEY')
      return new AuthorizationError(AuthReason.KID_NOT_FOUND);
    if (typeof code === 'string' && KEY_SET_MATCH_ERRORS.has(code)) {
      return new AuthorizationError(AuthReason.WRONG_KEY);
    }
    // Timeout (ERR_JWKS_TIMEOUT), connection/TLS failure (fetch TypeError),
    // non-200 or invalid JSON (ERR_JOSE_GENERIC), malformed set (ERR_JWKS_INVALID).
    this.logger.warn(`JWKS fetch from ${host} failed: ${describe(error)}`);
    return new AuthorizationError(jwksUnreachable(host));
  }
}

/**
 * Error name, code and the network cause's code: enough to diagnose, nothing
 * from the token. Duck-typed: fetch errors may come from another realm.
 */
function describe(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown error';
  const { name, code, message, cause } = error as Record<string, unknown>;
  const causeCode =
    typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  const parts = [name, code, message, causeCode].filter((part) => typeof part === 'string');
  return parts.length > 0 ? parts.join(' ') : 'unknown error';
}
