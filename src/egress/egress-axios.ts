import { isAxiosError, type CreateAxiosDefaults } from 'axios';
import { fetch, Response, type Dispatcher } from 'undici';

/**
 * The defaults of an axios instance whose calls go through an egress
 * dispatcher (spec §11): axios's fetch adapter over undici's own `fetch`
 * with `dispatcher`, so the proxy per scheme, NO_PROXY and (for Qualys) the
 * vetted connect of that dispatcher apply to every call; TLS trusts
 * `NODE_EXTRA_CA_CERTS` as every Node socket does.
 *
 * Chosen for the least work per call, not for convenience:
 * - undici's `fetch`, `Response` (and no `Request`: axios then calls
 *   `fetch(url, init)` instead of building a `Request` that fetch builds
 *   again). Node 20's global fetch bundles an older undici, which does not
 *   accept this package's dispatchers.
 * - `fetch` decodes gzip, deflate and br itself, so axios's
 *   `maxContentLength`, counted on the body fetch hands over, caps the
 *   decoded size: a small compressed bomb cannot get past it.
 * - No redirects (`maxRedirects: 0` is fetch's `redirect: 'manual'`): a 3xx
 *   is an answer like any other.
 * - Every status resolves (`validateStatus: null`): callers map statuses
 *   themselves (spec §7), and a rejected promise per 4xx would cost a stack.
 * - The body stays text (`responseType: 'text'`, no transforms): callers
 *   parse what they expect, bounded, and no JSON is parsed twice.
 * - `Accept: *\/*` instead of axios's JSON-first default, which is what
 *   fetch would send; calls that want JSON say so.
 */
export function egressAxiosDefaults(dispatcher?: Dispatcher): CreateAxiosDefaults {
  return {
    adapter: 'fetch',
    env: {
      fetch: fetch as unknown as NonNullable<CreateAxiosDefaults['env']>['fetch'],
      Request: null as unknown as undefined,
      Response: Response as unknown as NonNullable<CreateAxiosDefaults['env']>['Response'],
    },
    fetchOptions: dispatcher === undefined ? {} : { dispatcher },
    maxRedirects: 0,
    validateStatus: null,
    responseType: 'text',
    transformRequest: [],
    transformResponse: [],
    headers: { common: { Accept: '*/*' } },
  };
}

/**
 * What failed below HTTP in an axios error of such an instance: the socket's,
 * TLS's, the proxy's or the address check's own error (with its `code`),
 * unwrapped from axios's `Network Error` and fetch's `fetch failed` /
 * `terminated`. Duck-typed: errors from Node's internals may come from
 * another realm (a test VM), where `instanceof` fails.
 */
export function transportCause(error: unknown): unknown {
  let current = isAxiosError(error) && error.cause !== undefined ? error.cause : error;
  const { name, cause } = (current ?? {}) as { name?: unknown; cause?: unknown };
  if (name === 'TypeError' && cause !== undefined) current = cause;
  return current;
}

/** Whether axios refused the answer for `maxContentLength` (fetch adapter, decoded bytes). */
export function isBodyTooLarge(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'ERR_BAD_RESPONSE' &&
    typeof message === 'string' &&
    message.startsWith('maxContentLength size of')
  );
}
