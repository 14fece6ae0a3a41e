import { fetch, type Dispatcher } from 'undici';

/** What jose's `customFetch` passes, and what it needs back. */
export type FetchLike = (
  url: string,
  init: { headers: Headers; method: 'GET'; redirect: 'manual'; signal: AbortSignal },
) => Promise<Response>;

/**
 * `fetch` through an egress dispatcher (spec §11). undici's own `fetch`, not
 * Node's global one: Node 20 bundles an older undici, which does not accept
 * this package's dispatchers.
 */
export function egressFetch(dispatcher: Dispatcher): FetchLike {
  return async (url, init) =>
    await fetch(url, { ...init, dispatcher } as Parameters<typeof fetch>[1]);
}
