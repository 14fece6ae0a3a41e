import {
  decodeJwt,
  decodeProtectedHeader,
  type JWTPayload,
  type ProtectedHeaderParameters,
} from 'jose';
import { AuthorizationError } from '../common/relay-error.js';
import { AuthReason } from './auth-reasons.js';

/** A compact JWS split and decoded, NOT verified: nothing in it is trusted yet. */
export interface UnverifiedJwt {
  header: ProtectedHeaderParameters;
  payload: JWTPayload;
}

/**
 * Spec §3 `Wrong JWT structure`: three dot-separated parts whose header and
 * payload are base64url JSON objects. The signature part is left to `jwtVerify`
 * (an empty one, as `alg: none` carries, fails there as a key problem).
 */
export function decodeUnverified(token: string): UnverifiedJwt {
  if (token.split('.').length !== 3) throw new AuthorizationError(AuthReason.WRONG_STRUCTURE);
  try {
    return { header: decodeProtectedHeader(token), payload: decodeJwt(token) };
  } catch {
    throw new AuthorizationError(AuthReason.WRONG_STRUCTURE);
  }
}
