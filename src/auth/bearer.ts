import { AuthorizationError } from '../common/relay-error.js';
import { AuthReason } from './auth-reasons.js';

/**
 * Spec §3: `Authorization: Bearer <JWT>`. The scheme is case-insensitive
 * (RFC 9110 §11.1); exactly one credential must follow it.
 */
export function extractBearerToken(header: string | string[] | undefined): string {
  if (header === undefined || (typeof header === 'string' && header.trim() === '')) {
    throw new AuthorizationError(AuthReason.HEADER_MISSING);
  }
  // Node folds a repeated Authorization header into its first value; an array
  // can only come from a non-HTTP caller, and is ambiguous: refuse it.
  if (typeof header !== 'string') throw new AuthorizationError(AuthReason.WRONG_TYPE);
  const [scheme, ...credentials] = header.trim().split(/\s+/);
  if (scheme.toLowerCase() !== 'bearer') throw new AuthorizationError(AuthReason.WRONG_TYPE);
  if (credentials.length !== 1) throw new AuthorizationError(AuthReason.WRONG_STRUCTURE);
  return credentials[0];
}
