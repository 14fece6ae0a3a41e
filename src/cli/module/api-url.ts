import { isIP } from 'node:net';

/** Spec §10: the Threat Response API (IROH) of each region. */
export const TR_REGIONS = {
  us: 'https://visibility.amp.cisco.com',
  eu: 'https://visibility.eu.amp.cisco.com',
  apjc: 'https://visibility.apjc.amp.cisco.com',
} as const;

type TrRegion = keyof typeof TR_REGIONS;

export class UrlPolicyError extends Error {
  override readonly name = 'UrlPolicyError';
}

function isTrRegion(value: string): value is TrRegion {
  return Object.hasOwn(TR_REGIONS, value);
}

/** `localhost`, 127.0.0.0/8 or `::1`: the only hosts plain http may reach. */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * Checks a URL the CLI talks to or registers: https, or plain http to a
 * loopback address (a local simulator, a relay on this machine); no
 * credentials (they would be printed), query or fragment. Returns it without
 * a trailing slash. `name` says where the URL came from, in the message.
 */
export function checkServiceUrl(text: string, name: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UrlPolicyError(`${name} must be an absolute URL.`);
  }
  const insecureOk = url.protocol === 'http:' && isLoopbackHostname(url.hostname);
  if (url.protocol !== 'https:' && !insecureOk) {
    throw new UrlPolicyError(`${name} must use https (plain http only for a loopback address).`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UrlPolicyError(`${name} must not carry credentials.`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new UrlPolicyError(`${name} must not carry a query or a fragment.`);
  }
  return text.replace(/\/+$/, '');
}

/**
 * Spec §10: `TR_API_URL` (the base URL itself) wins, then `--region`, then
 * `TR_API_REGION`, then `us`.
 */
export function resolveApiBaseUrl(
  regionOption: string | undefined,
  env: Record<string, string | undefined>,
): string {
  const explicit = env.TR_API_URL?.trim();
  if (explicit) return checkServiceUrl(explicit, 'TR_API_URL');
  if (regionOption !== undefined) return regionUrl(regionOption, '--region');
  const fromEnv = env.TR_API_REGION?.trim();
  if (fromEnv) return regionUrl(fromEnv, 'TR_API_REGION');
  return TR_REGIONS.us;
}

function regionUrl(region: string, name: string): string {
  const key = region.toLowerCase();
  if (!isTrRegion(key)) {
    throw new UrlPolicyError(`${name} must be one of ${Object.keys(TR_REGIONS).join(', ')}.`);
  }
  return TR_REGIONS[key];
}
