import type { JWTPayload } from 'jose';

/**
 * Verifies a bearer token and returns its payload, or throws an
 * `AuthorizationError` with a spec §3 reason. One implementation per
 * `AUTH_MODE`; the class doubles as the Nest DI token.
 */
export abstract class TokenVerifier {
  abstract verify(token: string): Promise<JWTPayload>;
}
