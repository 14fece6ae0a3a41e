import { AuthorizationError } from '../common/relay-error.js';
import { AuthReason } from './auth-reasons.js';

interface JoseLikeError {
  code?: unknown;
  claim?: unknown;
  reason?: unknown;
}

/**
 * Maps what `jwtVerify` throws to the spec §3 reasons. Matching is on jose's
 * stable `code` / `claim` fields, not on its English messages. Anything not
 * recognised is a key problem: fail closed, and never echo jose's message
 * (it may quote claim values).
 */
export function toAuthorizationError(error: unknown): AuthorizationError {
  if (error instanceof AuthorizationError) return error;
  const { code, claim, reason } = (
    typeof error === 'object' && error !== null ? error : {}
  ) as JoseLikeError;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return new AuthorizationError(AuthReason.EXPIRED);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'aud') return new AuthorizationError(AuthReason.WRONG_AUDIENCE);
      if (claim === 'nbf' && reason === 'check_failed') {
        return new AuthorizationError(AuthReason.NOT_YET_VALID);
      }
      // e.g. `exp` or `nbf` that is not a number.
      return new AuthorizationError(AuthReason.WRONG_PAYLOAD);
    case 'ERR_JWT_INVALID':
      return new AuthorizationError(AuthReason.WRONG_STRUCTURE);
    default:
      // ERR_JOSE_ALG_NOT_ALLOWED, ERR_JWS_SIGNATURE_VERIFICATION_FAILED,
      // ERR_JWS_INVALID (bad signature encoding, missing alg), key type errors.
      return new AuthorizationError(AuthReason.WRONG_KEY);
  }
}
