import type { Dispatcher } from 'undici';
import type { AuthConfig } from '../config/relay-config.js';
import { egressFetch } from '../egress/egress-fetch.js';
import { DEFAULT_JWKS_COOLDOWN_MS, JwksKeySets } from './jwks-key-sets.js';
import { JwksTokenVerifier } from './jwks-token-verifier.js';
import { SecretTokenVerifier } from './secret-token-verifier.js';
import type { TokenVerifier } from './token-verifier.js';

/** The verifier of the configured `AUTH_MODE` (spec §3, §8); JWKS keys are fetched through `egress` (spec §11). */
export function createTokenVerifier(auth: AuthConfig, egress?: Dispatcher): TokenVerifier {
  switch (auth.mode) {
    case 'secret':
      return new SecretTokenVerifier(auth);
    case 'jwks':
      return new JwksTokenVerifier(
        auth,
        new JwksKeySets({
          cacheTtlMs: auth.jwksCacheTtlMs,
          timeoutMs: auth.jwksTimeoutMs,
          cooldownMs: DEFAULT_JWKS_COOLDOWN_MS,
          fetch: egress === undefined ? undefined : egressFetch(egress),
        }),
      );
    default: {
      // Deny by default: a mode this build does not know verifies nothing.
      const mode = (auth as { mode?: unknown }).mode;
      throw new Error(`Unsupported AUTH_MODE: ${String(mode)}`);
    }
  }
}
