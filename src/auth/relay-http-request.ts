import type { RelayContext } from './relay-context.js';

/**
 * The slice of the HTTP request the auth module reads and writes. The context
 * lives on the request object, so it dies with the request and concurrent
 * callers never share one (no singleton field, no AsyncLocalStorage).
 */
export interface RelayHttpRequest {
  headers: { authorization?: string | string[] };
  relayContext?: RelayContext;
}
