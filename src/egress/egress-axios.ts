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
 * - `fetch` decodes gzip, deflate and br itself, and the body comes as a
 *   stream (`responseType: 'stream'`) that `readText` reads with a cap on
 *   those decoded bytes: a small compressed bomb cannot get past it. Not
 *   axios's `maxContentLength`: past the limit it leaves fetch's body
 *   unread, and the connection open, for good.
 * - No redirects (`maxRedirects: 0` is fetch's `redirect: 'manual'`): a 3xx
 *   is an answer like any other.
 * - Every status resolves (`validateStatus: null`): callers map statuses
 *   themselves (spec §7), and a rejected promise per 4xx would cost a stack.
 * - No transforms: callers parse what they expect, bounded, and no JSON is
 *   parsed twice.
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
    responseType: 'stream',
    transformRequest: [],
    transformResponse: [],
    headers: { common: { Accept: '*/*' } },
  };
}

/**
 * What failed below HTTP in an axios error of such an instance: the socket's,
 * TLS's, the proxy's or the address check's own error (the first with a
 * string `code`), unwrapped from axios's `Network Error` and fetch's
 * wrappers (`fetch failed`, `terminated`, `Request was cancelled.`).
 * Duck-typed: errors from Node's internals may come from another realm (a
 * test VM), where `instanceof` fails.
 */
export function transportCause(error: unknown): unknown {
  let current = isAxiosError(error) && error.cause !== undefined ? error.cause : error;
  for (let depth = 0; depth < 3; depth++) {
    const { code, cause } = (current ?? {}) as { code?: unknown; cause?: unknown };
    if (typeof code === 'string' || typeof cause !== 'object' || cause === null) break;
    current = cause;
  }
  return current;
}

/** The answer was larger than the caller accepts (`readText`). */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`);
  }
}

/**
 * A response stream of such an instance as UTF-8 text, refusing more than
 * `maxBytes` (decoded) with a `BodyTooLargeError`; the stream is cancelled
 * then, which closes its connection. A UTF-8 BOM is not content.
 */
export async function readText(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<string> {
  // fetch gives no body at all for 204, 304 and HEAD.
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.byteLength;
      if (length > maxBytes) throw new BodyTooLargeError(maxBytes);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
  const text = (
    chunks.length === 1
      ? Buffer.from(chunks[0].buffer, chunks[0].byteOffset, length)
      : Buffer.concat(chunks, length)
  ).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
