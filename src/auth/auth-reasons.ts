/**
 * The reasons shown after `Authorization failed: ` (spec §3). Threat Response
 * shows them to analysts, and operators search logs for them, so they are
 * exact strings: change one only together with its tests. None of them may
 * ever carry a token, a secret or a password.
 */
export const AuthReason = {
  HEADER_MISSING: 'Authorization header is missing',
  WRONG_TYPE: 'Wrong authorization type',
  WRONG_STRUCTURE: 'Wrong JWT structure',
  WRONG_KEY: 'Failed to decode JWT with provided key',
  EXPIRED: 'The JWT has expired',
  NOT_YET_VALID: 'The JWT is not yet valid',
  WRONG_PAYLOAD: 'Wrong JWT payload structure',
  WRONG_AUDIENCE: 'Wrong configuration-token-audience',
  WRONG_JWKS_HOST: 'Wrong jwks_host in JWT payload',
  KID_NOT_FOUND: 'kid from JWT header not found in API response',
} as const;

export type AuthReason = (typeof AuthReason)[keyof typeof AuthReason];

/** The JWKS host could not give us a key set; names the host only, never the URL path or a cause. */
export function jwksUnreachable(host: string): string {
  return `Unable to fetch the JWKS from ${host}`;
}

/** A required Qualys URL that neither the token nor the configuration provides. */
export function urlNotConfigured(setting: 'API_URL' | 'PLATFORM_URL'): string {
  return `${setting} is not configured`;
}

/** A Qualys URL from the token that the URL policy refused; `problem` comes from `checkQualysUrl`. */
export function urlRefused(setting: 'API_URL' | 'PLATFORM_URL', problem: string): string {
  return `${setting} in JWT payload ${problem}`;
}

/** Spec §3: "a small clock skew is tolerated" on `exp` and `nbf`, in seconds. */
export const CLOCK_TOLERANCE_SECONDS = 30;
