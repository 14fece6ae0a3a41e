import { BlockList, isIP } from 'node:net';

/**
 * Spec §11: which hosts bypass the egress proxy, with curl's rules for
 * `NO_PROXY` — `*` matches every host; a name matches itself and its
 * subdomains (`example.com` and `.example.com` both match `a.example.com`);
 * `host:port` matches that port only; an IP literal matches itself — plus
 * CIDR ranges (`10.0.0.0/8`), matched with `net.BlockList`.
 *
 * Why not undici's `EnvHttpProxyAgent` or `proxy-from-env` for this part:
 * both ignore CIDR entries, and the former sends `https://` targets through
 * `HTTP_PROXY` when `HTTPS_PROXY` is unset, which §11 forbids. The proxying
 * itself (CONNECT tunnels, proxy authentication) stays undici's `ProxyAgent`.
 */
export class NoProxy {
  private readonly all: boolean;
  private readonly names: { name: string; port?: number }[] = [];
  private readonly ranges = new BlockList();
  private hasRanges = false;

  /** Entries as written, for the start-up log. */
  readonly entries: readonly string[];

  constructor(value: string | undefined) {
    this.entries = (value ?? '')
      .split(/[,\s]+/)
      .map((entry) => entry.trim().toLowerCase())
      .filter((entry) => entry !== '');
    this.all = this.entries.includes('*');
    for (const entry of this.entries) {
      if (entry === '*') continue;
      const range = parseCidr(entry);
      if (range !== undefined) {
        this.ranges.addSubnet(range.address, range.prefix, range.family);
        this.hasRanges = true;
        continue;
      }
      const { host, port } = splitPort(entry);
      this.names.push({ name: unbracket(host).replace(/^\*?\./, ''), port });
    }
  }

  /** True when a request to `hostname:port` must not go through the proxy. */
  matches(hostname: string, port: number): boolean {
    if (this.all) return true;
    const host = unbracket(hostname.toLowerCase()).replace(/\.$/, '');
    for (const { name, port: only } of this.names) {
      if (only !== undefined && only !== port) continue;
      if (host === name || host.endsWith(`.${name}`)) return true;
    }
    if (this.hasRanges) {
      const family = isIP(host);
      if (family !== 0 && this.ranges.check(host, family === 6 ? 'ipv6' : 'ipv4')) return true;
    }
    return false;
  }
}

/** Whether `entry` is a valid NO_PROXY entry (for start-up validation). */
export function isValidNoProxyEntry(entry: string): boolean {
  if (entry === '*' || parseCidr(entry) !== undefined) return true;
  if (entry.includes('/')) return false; // a CIDR that does not parse
  const { host, port } = splitPort(entry);
  if (port !== undefined && (port < 1 || port > 65_535)) return false;
  const name = unbracket(host).replace(/^\*?\./, '');
  return (
    isIP(name) !== 0 ||
    /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?$/i.test(name)
  );
}

function parseCidr(
  entry: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const match = /^\[?([^\]/]+)\]?\/(\d{1,3})$/.exec(entry);
  if (match === null) return undefined;
  const family = isIP(match[1]);
  const prefix = Number(match[2]);
  if (family === 0 || prefix > (family === 4 ? 32 : 128)) return undefined;
  return { address: match[1], prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** `host:port`, `[v6]:port`, or a bare host (a bare IPv6 address has colons but no port). */
function splitPort(entry: string): { host: string; port?: number } {
  const bracketed = /^(\[[^\]]+\]):(\d+)$/.exec(entry);
  if (bracketed !== null) return { host: bracketed[1], port: Number(bracketed[2]) };
  if (isIP(unbracket(entry)) === 6) return { host: entry };
  const named = /^([^:]+):(\d+)$/.exec(entry);
  return named === null ? { host: entry } : { host: named[1], port: Number(named[2]) };
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
