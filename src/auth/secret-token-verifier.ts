import { jwtVerify, type JWTPayload } from 'jose';
import type { SecretAuthConfig } from '../config/relay-config.js';
import { CLOCK_TOLERANCE_SECONDS } from './auth-reasons.js';
import { toAuthorizationError } from './jose-errors.js';
import { decodeUnverified } from './jwt-structure.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * `AUTH_MODE=secret` (spec §3): HS256 with the relay's shared secret, and
 * nothing else — `none`, RS256 and friends fail as `ERR_JOSE_ALG_NOT_ALLOWED`
 * before any key is used, and an HS256 token MACed with some RSA public key
 * simply does not verify against our secret.
 */
export class SecretTokenVerifier extends TokenVerifier {
  private readonly key: Uint8Array;

  constructor(config: SecretAuthConfig) {
    super();
    this.key = new TextEncoder().encode(config.secret);
  }

  async verify(token: string): Promise<JWTPayload> {
    decodeUnverified(token);
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      return payload;
    } catch (error) {
      throw toAuthorizationError(error);
    }
  }
}
