import { BlockList, isIPv4, isIPv6 } from 'node:net';

/**
 * Which Qualys URLs the relay may call (spec §3, §7). Pure and synchronous so
 * that the config parser applies the same rules to `QUALYS_API_URL` /
 * `QUALYS_PLATFORM_URL` at start-up as the guard applies to a token's
 * `API_URL` / `PLATFORM_URL` per request: the relay must never become a proxy
 * to arbitrary hosts.
 *
 * Allow-list patterns (lower-cased before use):
 * - `*.qualys.com` matches any subdomain at any depth (`a.b.qualys.com`), but
 *   not `qualys.com` itself, `qualys.com.evil.net` nor `evilqualys.com`;
 * - `gateway.qg1.apps.qualys.eu` matches that host exactly;
 * - either form may carry `:port`. A pattern WITHOUT a port matches only the
 *   scheme's default port (443 / 80), so a token cannot steer the relay to
 *   another service on an allowed host; a private cloud on `:8443` needs an
 *   explicit `host:8443` pattern.
 *
 * Only the host name is checked, not what it resolves to: the allow-list
 * names hosts the operator trusts, including their DNS.
 */
export interface QualysUrlPolicy {
  hostAllowlist: string[];
  /** Permits `http://` and private addresses, and loopback even off the list (demo, tests). */
  allowInsecure: boolean;
}

export type QualysUrlCheck = { ok: true; url: string } | { ok: false; reason: string };

/**
 * Reasons read after the name of the setting, e.g. `API_URL in JWT payload
 * must use https`. They never repeat the URL, which may carry credentials.
 */
export const QualysUrlProblem = {
  INVALID: 'is not a valid absolute URL',
  HTTPS_ONLY: 'must use https',
  HTTP_OR_HTTPS: 'must use http or https',
  CREDENTIALS: 'must not contain user credentials',
  QUERY_OR_FRAGMENT: 'must not contain a query string or fragment',
  PRIVATE_ADDRESS: 'names a loopback, private or link-local address',
  HOST_NOT_ALLOWED: 'names a host that is not on the allowed Qualys host list',
} as const;

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

// Private, link-local and "this host" ranges. BlockList also matches the
// IPv4-mapped IPv6 form (`::ffff:10.0.0.1`) against the IPv4 rules.
const PRIVATE = new BlockList();
PRIVATE.addSubnet('0.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('169.254.0.0', 16, 'ipv4');
PRIVATE.addAddress('::', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

const DEFAULT_PORTS: Record<string, string> = { 'https:': '443', 'http:': '80' };

/** `hostname` as the WHATWG parser gives it: lower-case, IPv4 normalised, IPv6 in brackets. */
function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  return matchesIp(LOOPBACK, hostname);
}

function matchesIp(list: BlockList, hostname: string): boolean {
  if (isIPv4(hostname)) return list.check(hostname, 'ipv4');
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIPv6(bare) && list.check(bare, 'ipv6');
}

function splitPattern(pattern: string): { host: string; port?: string } {
  const match = /^(.*):(\d{1,5})$/.exec(pattern.trim().toLowerCase());
  return match ? { host: match[1], port: match[2] } : { host: pattern.trim().toLowerCase() };
}

function hostMatches(url: URL, pattern: string): boolean {
  const { host, port } = splitPattern(pattern);
  const urlPort = url.port === '' ? DEFAULT_PORTS[url.protocol] : url.port;
  if (urlPort !== (port ?? DEFAULT_PORTS[url.protocol])) return false;
  if (host.startsWith('*.')) {
    const suffix = host.slice(1); // ".qualys.com"
    return url.hostname.endsWith(suffix) && url.hostname.length > suffix.length;
  }
  return url.hostname === host;
}

export function checkQualysUrl(raw: string, policy: QualysUrlPolicy): QualysUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: QualysUrlProblem.INVALID };
  }
  const schemes = policy.allowInsecure ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) {
    const reason = policy.allowInsecure
      ? QualysUrlProblem.HTTP_OR_HTTPS
      : QualysUrlProblem.HTTPS_ONLY;
    return { ok: false, reason };
  }
  if (url.hostname === '') return { ok: false, reason: QualysUrlProblem.INVALID };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: QualysUrlProblem.CREDENTIALS };
  }
  // The raw text too: the parser drops an empty `?` or `#`, and a stray one
  // signals a URL that was assembled by string concatenation.
  if (url.search !== '' || url.hash !== '' || /[?#]/.test(raw)) {
    return { ok: false, reason: QualysUrlProblem.QUERY_OR_FRAGMENT };
  }

  const loopback = isLoopback(url.hostname);
  if (loopback || matchesIp(PRIVATE, url.hostname)) {
    if (!policy.allowInsecure) return { ok: false, reason: QualysUrlProblem.PRIVATE_ADDRESS };
  }
  // With allowInsecure, loopback needs no allow-list entry: the demo and the
  // tests run the Qualys simulator on 127.0.0.1 with an ephemeral port.
  const allowed =
    (policy.allowInsecure && loopback) || policy.hostAllowlist.some((p) => hostMatches(url, p));
  if (!allowed) return { ok: false, reason: QualysUrlProblem.HOST_NOT_ALLOWED };

  return { ok: true, url: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}
