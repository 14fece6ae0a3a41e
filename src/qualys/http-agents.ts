import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { RELAY_VERSION } from '../common/version.js';

/** Spec §7: a User-Agent naming the relay and its version. */
export const QUALYS_USER_AGENT = `qualys-ioc-relay/${RELAY_VERSION} (Cisco XDR relay)`;

/**
 * Keep-alive agents: one TLS handshake per socket instead of one per search
 * is most of "about one upstream round trip". Sockets per host are capped at
 * the concurrency cap, so the limiter, not the agent, decides queueing.
 */
export function createAgents(maxSockets: number): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
  const options = { keepAlive: true, keepAliveMsecs: 1000, maxSockets, maxFreeSockets: maxSockets, timeout: 60_000 };
  return { httpAgent: new HttpAgent(options), httpsAgent: new HttpsAgent(options) };
}
