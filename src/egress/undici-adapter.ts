import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { AxiosAdapter, AxiosResponse, InternalAxiosRequestConfig } from 'axios';
import type { Dispatcher } from 'undici';
import { BodyTooLargeError } from './egress-axios.js';

/**
 * An axios adapter that sends each call with `dispatcher.request()`, undici's
 * own fast path, so an axios instance keeps what axios gives Nest code
 * (`HttpService`, interceptors, the testing recipes) at the cost of undici's
 * pools rather than of fetch's: fetch builds web streams, a `Request` and a
 * `Response` per call, which cost several times a call's own work under the
 * relay's load. The dispatcher is the egress one (proxy per scheme,
 * NO_PROXY, the vetted connect, the corporate CA through Node's TLS), so the
 * egress policy applies to every call (spec §11).
 *
 * What a call gets: absolute URLs only (no `baseURL`, no `params`: the
 * caller builds the query); a string body; the abort `signal`; no redirects
 * (undici's `request` follows none); every status resolves; the body
 * decoded as `Content-Encoding` says (gzip, deflate, br) and read as UTF-8
 * text, refused past `maxContentLength` *decoded* bytes with a
 * `BodyTooLargeError` (spec §15: a small compressed bomb cannot get past
 * it). Response headers are undici's: lower-case names.
 */
export function undiciAdapter(dispatcher: Dispatcher): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse<string>> => {
    const url = new URL(config.url ?? '');
    const response = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: (config.method ?? 'get').toUpperCase(),
      headers: config.headers.toJSON() as Record<string, string>,
      body: typeof config.data === 'string' ? config.data : undefined,
      signal: config.signal,
    });
    const encoding = response.headers['content-encoding'];
    const body = decoded(response.body, typeof encoding === 'string' ? encoding : undefined);
    let data: string;
    try {
      data = await readText(body, config.maxContentLength ?? -1);
    } catch (error) {
      response.body.destroy();
      throw error;
    }
    return {
      data,
      status: response.statusCode,
      statusText: '',
      headers: response.headers as AxiosResponse['headers'],
      config,
    };
  };
}

/** The body decoded as `Content-Encoding` says (undici's decompress interceptor is still experimental). */
function decoded(body: Readable, encoding: string | undefined): Readable {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return pipe(body, createGunzip());
    case 'deflate':
      return pipe(body, createInflate());
    case 'br':
      return pipe(body, createBrotliDecompress());
    default:
      return body;
  }
}

function pipe(body: Readable, decoder: NodeJS.ReadWriteStream & Readable): Readable {
  body.on('error', (error) => decoder.destroy(error));
  decoder.on('close', () => body.destroy());
  return body.pipe(decoder);
}

/** The body as UTF-8 text, refusing more than `maxBytes` (none when negative); a BOM is not content. */
async function readText(body: Readable, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (maxBytes >= 0 && length > maxBytes) throw new BodyTooLargeError(maxBytes);
    chunks.push(chunk);
  }
  const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length)).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
