import { isValidNoProxyEntry } from '../common/no-proxy.js';

/**
 * Spec §11: how the relay reaches the outside (Qualys, JWKS hosts, the
 * Threat Response API), read once at start-up from the standard variables.
 */
export interface EgressSettings {
  /** Proxy for `https://` targets (`HTTPS_PROXY` / `https_proxy`); a secret when it carries credentials. */
  httpsProxy?: string;
  /** Proxy for `http://` targets (`HTTP_PROXY` / `http_proxy`); never used for https. */
  httpProxy?: string;
  /** `NO_PROXY` / `no_proxy` entries. */
  noProxy: string[];
  /** `NODE_EXTRA_CA_CERTS`: read by Node itself at process start, reported only. */
  extraCaFile?: string;
}

type Env = Record<string, string | undefined>;

/** Either case, the lower-case one first as curl does. */
function either(env: Env, name: string): { name: string; value: string } | undefined {
  for (const candidate of [name.toLowerCase(), name]) {
    const value = env[candidate]?.trim();
    if (value) return { name: candidate, value };
  }
  return undefined;
}

/**
 * A proxy URL as curl reads it: `http://` when no scheme is given. Only
 * `http://` and `https://` proxies; credentials allowed (sent as
 * `Proxy-Authorization: Basic`, never logged).
 */
function proxyUrl(value: string): string | undefined {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  if (!URL.canParse(withScheme)) return undefined;
  const url = new URL(withScheme);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (
    url.hostname === '' ||
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search ||
    url.hash
  ) {
    return undefined;
  }
  return url.href;
}

/** Reads the egress variables; `problems` names bad ones (never their values: a proxy URL may hold a password). */
export function parseEgressSettings(env: Env, problems: string[]): EgressSettings {
  const settings: EgressSettings = { noProxy: [] };
  for (const [key, name] of [
    ['httpsProxy', 'HTTPS_PROXY'],
    ['httpProxy', 'HTTP_PROXY'],
  ] as const) {
    const found = either(env, name);
    if (found === undefined) continue;
    const url = proxyUrl(found.value);
    if (url === undefined) problems.push(`${found.name} must be an http:// or https:// proxy URL`);
    else settings[key] = url;
  }
  const noProxy = either(env, 'NO_PROXY');
  if (noProxy !== undefined) {
    settings.noProxy = noProxy.value
      .split(/[,\s]+/)
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry !== '');
    if (!settings.noProxy.every(isValidNoProxyEntry)) {
      problems.push(
        `${noProxy.name} must be a comma list of host names, host:port, IP addresses, CIDR ranges or *`,
      );
    }
  }
  const extraCa = env.NODE_EXTRA_CA_CERTS?.trim();
  if (extraCa) settings.extraCaFile = extraCa;
  return settings;
}

/** A proxy URL for logs: scheme, host and port, the user name kept and the password masked. */
export function maskProxyUrl(url: string): string {
  const parsed = new URL(url);
  const user = parsed.username
    ? `${decodeURIComponent(parsed.username)}${parsed.password ? ':****' : ''}@`
    : '';
  return `${parsed.protocol}//${user}${parsed.host}`;
}

/** Spec §11: the one start-up line describing the effective egress. */
export function describeEgress(settings: EgressSettings): Record<string, unknown> {
  return {
    httpsProxy: settings.httpsProxy ? maskProxyUrl(settings.httpsProxy) : 'none',
    httpProxy: settings.httpProxy ? maskProxyUrl(settings.httpProxy) : 'none',
    noProxy: settings.noProxy,
    extraCaFile: settings.extraCaFile ?? 'none',
  };
}
