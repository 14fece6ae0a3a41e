import { Agent, Dispatcher, ProxyAgent } from 'undici';
import type { EgressSettings } from '../config/egress-settings.js';
import { NoProxy } from '../common/no-proxy.js';

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export interface EgressDispatcherOptions {
  /** Pool options of every origin, direct or through a proxy (keep-alive, connections …). */
  pool?: Agent.Options;
  /**
   * How direct connections are made: for Qualys, the resolved-address check
   * of spec §3. Through a proxy the proxy resolves the name, so it does not
   * apply there (spec §11).
   */
  directConnect?: Agent.Options['connect'];
}

/**
 * Spec §11: the one outbound transport of the relay. Each request goes
 * direct or through the egress proxy of its scheme (`HTTPS_PROXY` for
 * `https://`, `HTTP_PROXY` for `http://`, neither standing in for the other),
 * unless `NO_PROXY` names its host. `https://` targets are tunnelled with
 * CONNECT by undici's `ProxyAgent`, so TLS stays end to end with Qualys, and
 * credentials in the proxy URL go out as `Proxy-Authorization: Basic`.
 */
export class EgressDispatcher extends Dispatcher {
  private readonly direct: Agent;
  private readonly proxies: Partial<Record<'http:' | 'https:', { url: URL; agent: ProxyAgent }>> =
    {};
  private readonly noProxy: NoProxy;

  constructor(settings: EgressSettings, options: EgressDispatcherOptions = {}) {
    super();
    this.noProxy = new NoProxy(settings.noProxy.join(','));
    this.direct = new Agent({ ...options.pool, connect: options.directConnect });
    for (const [scheme, proxy] of [
      ['https:', settings.httpsProxy],
      ['http:', settings.httpProxy],
    ] as const) {
      if (proxy === undefined) continue;
      const url = new URL(proxy);
      // The pool options apply to the tunnelled connections to the target.
      this.proxies[scheme] = { url, agent: new ProxyAgent({ ...options.pool, uri: url.href }) };
    }
  }

  /** The proxy a request to `origin` goes through, or undefined when it goes direct. */
  proxyFor(origin: string | URL): URL | undefined {
    const url = typeof origin === 'string' ? new URL(origin) : origin;
    const proxy = this.proxies[url.protocol as 'http:' | 'https:'];
    if (proxy === undefined) return undefined;
    const port = Number(url.port) || DEFAULT_PORTS[url.protocol] || 0;
    return this.noProxy.matches(url.hostname, port) ? undefined : proxy.url;
  }

  override dispatch(
    options: Dispatcher.DispatchOptions,
    handler: Dispatcher.DispatchHandler,
  ): boolean {
    const origin = new URL(String(options.origin));
    const proxy = this.proxyFor(origin) && this.proxies[origin.protocol as 'http:' | 'https:'];
    return (proxy ? proxy.agent : this.direct).dispatch(options, handler);
  }

  override async close(): Promise<void> {
    await Promise.all([
      this.direct.close(),
      ...Object.values(this.proxies).map((proxy) => proxy.agent.close()),
    ]);
  }

  override async destroy(): Promise<void> {
    await Promise.all([
      this.direct.destroy(),
      ...Object.values(this.proxies).map((proxy) => proxy.agent.destroy()),
    ]);
  }
}
