import type { Server } from 'node:http';

/**
 * Spec §15 "Slow clients": how long a client may take. Node's defaults (60 s
 * for the headers, 300 s for the whole request) let a client that drip-feeds
 * its body a byte at a time hold a connection for five minutes.
 */
export const HTTP_SERVER_TIMEOUTS = {
  /** The request line and headers must have arrived within this, ms. */
  headersTimeout: 10_000,
  /** The whole request (headers and body) must have arrived within this, ms. */
  requestTimeout: 30_000,
  /** An idle keep-alive connection is closed after this, ms. */
  keepAliveTimeout: 5_000,
  /**
   * How often Node checks the two request timeouts, ms: its default (30 s)
   * would let a client keep a connection up to 30 s past them.
   */
  connectionsCheckingInterval: 1_000,
} as const;

/**
 * Sets `HTTP_SERVER_TIMEOUTS` on the relay's HTTP server, before it listens
 * (Node starts its timeout checks when the server starts listening). Node
 * answers a late request 408 and closes the connection.
 */
export function applyHttpServerTimeouts(server: Server): void {
  const { headersTimeout, requestTimeout, keepAliveTimeout, connectionsCheckingInterval } =
    HTTP_SERVER_TIMEOUTS;
  server.headersTimeout = headersTimeout;
  server.requestTimeout = requestTimeout;
  server.keepAliveTimeout = keepAliveTimeout;
  // Only a `createServer` option in Node's types, and Nest creates the
  // server; Node reads this property when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    connectionsCheckingInterval;
}
