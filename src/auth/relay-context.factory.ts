import type { JWTPayload } from 'jose';
import { checkQualysUrl } from '../common/qualys-url-policy.js';
import { AuthorizationError } from '../common/relay-error.js';
import type { RelayConfig } from '../config/relay-config.js';
import { AuthReason, urlNotConfigured, urlRefused } from './auth-reasons.js';
import type { RelayContext } from './relay-context.js';

type UrlSetting = 'API_URL' | 'PLATFORM_URL';

/**
 * Turns a VERIFIED payload into the request's `RelayContext` (spec §3, §5).
 * Precedence of failures: credentials first, then `API_URL`, then
 * `PLATFORM_URL`. Configuration defaults were validated by the same URL
 * policy at start-up (config-parser), so only token values are checked here.
 */
export function buildRelayContext(payload: JWTPayload, config: RelayConfig): RelayContext {
  const { user, pass } = payload;
  if (!isNonBlankString(user) || !isNonBlankString(pass)) {
    throw new AuthorizationError(AuthReason.WRONG_PAYLOAD);
  }
  return {
    // Passed through untouched: a password may legitimately contain spaces.
    credentials: { user, pass },
    apiUrl: resolveUrl('API_URL', payload.API_URL, config.qualys.apiUrl, config),
    platformUrl: resolveUrl(
      'PLATFORM_URL',
      payload.PLATFORM_URL,
      config.qualys.platformUrl,
      config,
    ),
    entitiesLimit: entitiesLimit(
      payload.CTR_ENTITIES_LIMIT,
      config.entitiesLimit,
      config.entitiesLimitMax,
    ),
  };
}

function isNonBlankString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * A token value overrides the configured default. An absent or blank value
 * (token generators fill unused form fields with "") falls back to the
 * default; any other non-string is a malformed payload.
 */
function resolveUrl(
  setting: UrlSetting,
  claim: unknown,
  fallback: string | undefined,
  config: RelayConfig,
): string {
  if (claim === undefined || (typeof claim === 'string' && claim.trim() === '')) {
    if (fallback === undefined) throw new AuthorizationError(urlNotConfigured(setting));
    return fallback;
  }
  if (typeof claim !== 'string') throw new AuthorizationError(AuthReason.WRONG_PAYLOAD);
  const checked = checkQualysUrl(claim, config.qualys);
  if (!checked.ok) throw new AuthorizationError(urlRefused(setting, checked.reason));
  return checked.url;
}

/**
 * Spec §5: positive integers only (number or digit string); anything else
 * falls back to the default. Spec §3: clamped to `CTR_ENTITIES_LIMIT_MAX`, so
 * a tenant cannot make the relay ask Qualys for pages of arbitrary size —
 * however large the number (JSON's `1e400` and a 400-digit string are
 * Infinity here, still positive integers for the caller).
 */
function entitiesLimit(claim: unknown, fallback: number, max: number): number {
  const value =
    typeof claim === 'number'
      ? claim
      : typeof claim === 'string' && /^\d+$/.test(claim)
        ? Number(claim)
        : NaN;
  const positiveInteger = (Number.isInteger(value) || value === Infinity) && value > 0;
  return positiveInteger ? Math.min(value, max) : fallback;
}
