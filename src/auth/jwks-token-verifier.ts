import { jwtVerify, type JWTPayload } from 'jose';
import type { JwksAuthConfig } from '../config/relay-config.js';
import { AuthorizationError } from '../common/relay-error.js';
import { AuthReason, CLOCK_TOLERANCE_SECONDS } from './auth-reasons.js';
import { toAuthorizationError } from './jose-errors.js';
import { JwksKeySets } from './jwks-key-sets.js';
import { decodeUnverified } from './jwt-structure.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * `AUTH_MODE=jwks` (spec §3): RS256 tokens from Threat Response, verified with
 * the key that `https://<jwks_host>/.well-known/jwks` lists under the token's
 * `kid`, with `aud` equal to the relay's public URL.
 *
 * Everything that can be refused from the unverified token is refused before
 * any network call: the algorithm, a `jwks_host` off the allow-list (exact
 * `host[:port]`, case-insensitive) and a missing `kid`. The relay therefore
 * only ever contacts hosts the operator listed, whatever a caller sends.
 */
export class JwksTokenVerifier extends TokenVerifier {
  /** Lower-cased allow-list entry → itself: the map key is the operator's value, not the token's. */
  private readonly allowedHosts: Map<string, string>;

  constructor(
    private readonly config: JwksAuthConfig,
    private readonly keySets: JwksKeySets,
  ) {
    super();
    this.allowedHosts = new Map(
      config.jwksHostAllowlist.map((host) => [
        host.trim().toLowerCase(),
        host.trim().toLowerCase(),
      ]),
    );
  }

  async verify(token: string): Promise<JWTPayload> {
    const { header, payload } = decodeUnverified(token);
    // jwtVerify refuses these too, but only after it has asked for the key.
    if (header.alg !== 'RS256') throw new AuthorizationError(AuthReason.WRONG_KEY);
    const host = this.allowedHost(payload.jwks_host);
    if (typeof header.kid !== 'string' || header.kid === '') {
      throw new AuthorizationError(AuthReason.KID_NOT_FOUND);
    }
    try {
      const verified = await jwtVerify(token, this.keySets.resolver(host), {
        algorithms: ['RS256'],
        audience: this.config.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return verified.payload;
    } catch (error) {
      throw toAuthorizationError(error);
    }
  }

  private allowedHost(claim: unknown): string {
    const host = typeof claim === 'string' ? this.allowedHosts.get(claim.toLowerCase()) : undefined;
    if (host === undefined) throw new AuthorizationError(AuthReason.WRONG_JWKS_HOST);
    return host;
  }
}
