import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';

/**
 * Mints relay tokens for tests (spec §3). Real signatures from jose; the
 * crafted invalid ones (`alg: none`, wrong parts) are built by hand below.
 */
export interface MintOptions {
  /** `exp`: seconds since the epoch, a Date, or a jose time span ('1h', '-2m'). Default '1h'. */
  expiresAt?: number | string | Date | null;
  /** `nbf`, same forms; omitted by default. */
  notBefore?: number | string | Date;
  /** `aud`; omitted by default. */
  audience?: string | string[];
  /** Extra protected-header fields (override `alg` only to craft refused tokens). */
  header?: Record<string, unknown>;
}

/** The Qualys credentials every relay token carries. */
export const TEST_CREDENTIALS = { user: 'qualys-user', pass: 's3cr3t pass&=+%' } as const;

function claims(
  payload: JWTPayload,
  kid: string | undefined,
  alg: string,
  opts: MintOptions,
): SignJWT {
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg, typ: 'JWT', ...(kid === undefined ? {} : { kid }), ...opts.header })
    .setIssuedAt();
  if (opts.expiresAt !== null) jwt.setExpirationTime(opts.expiresAt ?? '1h');
  if (opts.notBefore !== undefined) jwt.setNotBefore(opts.notBefore);
  if (opts.audience !== undefined) jwt.setAudience(opts.audience);
  return jwt;
}

/** An HS256 token for `AUTH_MODE=secret`; `secret` may be any bytes (e.g. an RSA public key PEM). */
export async function mintSecretToken(
  secret: string | Uint8Array,
  payload: JWTPayload,
  opts: MintOptions = {},
): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return claims(payload, undefined, 'HS256', opts).sign(key);
}

/** An RS256 token for `AUTH_MODE=jwks`; pass `kid` undefined to leave it out of the header. */
export async function mintJwksToken(
  privateKey: CryptoKey,
  kid: string | undefined,
  payload: JWTPayload,
  opts: MintOptions = {},
): Promise<string> {
  return claims(payload, kid, 'RS256', opts).sign(privateKey);
}

export interface RsaKeyPairJwk {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public key as served in a JWKS: `kid`, `alg: RS256`, `use: sig`. */
  publicJwk: JWK;
  /** The public key as SPKI PEM (to craft "HS256 signed with the RSA public key" tokens). */
  publicPem: string;
}

export async function generateRsaKeyPairJwk(kid: string): Promise<RsaKeyPairJwk> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

/** base64url of a JSON value or a string, for hand-crafted tokens. */
export function b64url(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** An unsigned `alg: none` token (empty signature part), as an attacker would send it. */
export function craftUnsignedToken(
  payload: JWTPayload,
  header: Record<string, unknown> = {},
): string {
  return `${b64url({ alg: 'none', typ: 'JWT', ...header })}.${b64url(payload)}.`;
}
