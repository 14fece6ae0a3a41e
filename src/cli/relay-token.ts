import { SignJWT } from 'jose';

/** What a self-hosted (secret-mode) relay token carries (spec §3). */
export interface RelayTokenClaims {
  user: string;
  pass: string;
  API_URL?: string;
  PLATFORM_URL?: string;
  CTR_ENTITIES_LIMIT?: number;
}

/**
 * Signs a secret-mode relay token (HS256), the equivalent of the original
 * relays' JWT generator. `expiresIn` is a jose time span such as `'30d'`.
 */
export async function mintRelayToken(
  secret: string,
  claims: RelayTokenClaims,
  expiresIn?: string,
): Promise<string> {
  const jwt = new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt();
  if (expiresIn !== undefined) jwt.setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(secret));
}
