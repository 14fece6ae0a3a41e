import { buildConnector } from 'undici';
import type { AddressPolicy } from '../common/address-policy.js';
import { RELAY_VERSION } from '../common/version.js';
import { EgressDispatcher } from '../egress/egress-dispatcher.js';
import type { EgressSettings } from '../config/egress-settings.js';
import { literalRefusal, type RefusalListener } from './vetted-lookup.js';
import type { LookupFunction } from 'node:net';

/** Spec §7: a User-Agent naming the relay and its version. */
export const QUALYS_USER_AGENT = `qualys-ioc-relay/${RELAY_VERSION} (Cisco XDR relay)`;

/** Spec §3: where direct Qualys connections may go (see vetted-lookup.ts). */
export interface ConnectGuard {
  /** Resolves names and vets every address; sockets call it for names only. */
  lookup: LookupFunction;
  /** Vets IP literals, which sockets connect to without a lookup. */
  policy: AddressPolicy;
  onRefused?: RefusalListener;
}

/** Longest a TCP/TLS connection may take to open; every call also has its own budget. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Keep-alive pools: one TLS handshake per connection instead of one per
 * search is most of "about one upstream round trip". Connections per origin
 * are capped at `QUALYS_CONCURRENCY`, so the scheduler, not the pool, decides
 * queueing. Every new direct connection passes `guard` first (spec §3);
 * through a proxy, the proxy resolves the name (spec §11).
 */
export function createQualysTransport(
  egress: EgressSettings,
  connections: number,
  guard: ConnectGuard,
): EgressDispatcher {
  const connect = buildConnector({ lookup: guard.lookup, timeout: CONNECT_TIMEOUT_MS });
  const directConnect: buildConnector.connector = (options, callback) => {
    // Sockets skip `lookup` for IP literals: those are vetted here.
    const refused = literalRefusal(options.hostname, guard.policy, guard.onRefused);
    if (refused !== undefined) {
      callback(refused, null);
      return;
    }
    connect(options, callback);
  };
  const dispatcher = new EgressDispatcher(egress, {
    pool: {
      connections,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: CONNECT_TIMEOUT_MS },
    },
    directConnect,
  });
  return dispatcher;
}
