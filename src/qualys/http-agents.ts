import type { Duplex } from 'node:stream';
import { Agent as HttpAgent, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent, type RequestOptions as HttpsRequestOptions } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { AddressPolicy } from '../common/address-policy.js';
import { RELAY_VERSION } from '../common/version.js';
import { literalRefusal, type RefusalListener } from './vetted-lookup.js';

/** Spec §7: a User-Agent naming the relay and its version. */
export const QUALYS_USER_AGENT = `qualys-ioc-relay/${RELAY_VERSION} (Cisco XDR relay)`;

/** Spec §3: where Qualys connections may go (see vetted-lookup.ts). */
export interface ConnectGuard {
  /** Resolves names and vets every address; node calls it for names only. */
  lookup: LookupFunction;
  /** Vets IP literals, which node connects to without a lookup. */
  policy: AddressPolicy;
  onRefused?: RefusalListener;
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

/** Fails the connection before it is opened when the host is a refused IP literal. */
function refuseLiteral(
  guard: ConnectGuard,
  host: string | null | undefined,
  callback?: ConnectCallback,
): boolean {
  const refused = literalRefusal(host, guard.policy, guard.onRefused);
  if (refused === undefined) return false;
  // The agent hands this error to the request ('error' event); no socket exists.
  callback?.(refused, undefined as unknown as Duplex);
  return true;
}

class GuardedHttpAgent extends HttpAgent {
  constructor(
    options: ConstructorParameters<typeof HttpAgent>[0],
    private readonly guard: ConnectGuard,
  ) {
    super(options);
  }

  override createConnection(
    options: ClientRequestArgs,
    callback?: ConnectCallback,
  ): Duplex | null | undefined {
    if (refuseLiteral(this.guard, options.host, callback)) return undefined;
    return super.createConnection(options, callback);
  }
}

class GuardedHttpsAgent extends HttpsAgent {
  constructor(
    options: ConstructorParameters<typeof HttpsAgent>[0],
    private readonly guard: ConnectGuard,
  ) {
    super(options);
  }

  override createConnection(
    options: HttpsRequestOptions,
    callback?: ConnectCallback,
  ): Duplex | null | undefined {
    if (refuseLiteral(this.guard, options.host, callback)) return undefined;
    return super.createConnection(options, callback);
  }
}

/**
 * Keep-alive agents: one TLS handshake per socket instead of one per search
 * is most of "about one upstream round trip". Sockets per host are capped at
 * the concurrency cap, so the limiter, not the agent, decides queueing. Every
 * new connection passes `guard` first (spec §3).
 */
export function createAgents(
  maxSockets: number,
  guard: ConnectGuard,
): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const options = {
    keepAlive: true,
    keepAliveMsecs: 1000,
    maxSockets,
    maxFreeSockets: maxSockets,
    timeout: 60_000,
    lookup: guard.lookup,
  };
  return {
    httpAgent: new GuardedHttpAgent(options, guard),
    httpsAgent: new GuardedHttpsAgent(options, guard),
  };
}
