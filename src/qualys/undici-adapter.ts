import axios, {
  AxiosError,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici';

/**
 * An axios adapter over an undici dispatcher: `@nestjs/axios` stays the
 * Qualys client provider (and axios its request model), while the bytes go
 * through undici's connection pools. Axios's own node adapter cost ~0.3 ms
 * of CPU and 80–95 KB of garbage per call (streams, follow-redirects, its
 * socket bookkeeping) — most of the relay's overhead under load (bench/).
 *
 * What the relay relies on, and this adapter keeps: the caller's abort
 * signal (timeouts and abandonment), `maxContentLength` counted on the
 * decoded body, `responseType: 'text'`, `validateStatus`, no redirects, and
 * transport failures as `AxiosError`s carrying the cause's code (TLS codes
 * tell certificate problems from connection failures).
 */
export function createUndiciAdapter(
  dispatcher: Dispatcher,
  proxyFor: (url: URL) => URL | undefined = () => undefined,
): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    const url = new URL(axios.getUri(config));
    const method = (config.method ?? 'get').toUpperCase();
    const headers = config.headers.toJSON(true);
    const data: unknown = config.data;
    if (data !== undefined && data !== null && typeof data !== 'string') {
      throw new AxiosError('the undici adapter sends string bodies only', AxiosError.ERR_BAD_REQUEST, config);
    }
    if (config.signal?.aborted) throw canceled(config);

    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        body: data ?? undefined,
        signal: config.signal,
      });
    } catch (error) {
      throw config.signal?.aborted ? canceled(config) : transportError(error, config, proxyFor(url));
    }

    let text: string;
    try {
      const encoding = response.headers['content-encoding'];
      text = await readText(decoded(response.body, typeof encoding === 'string' ? encoding : undefined), config.maxContentLength ?? -1);
    } catch (error) {
      response.body.destroy();
      if (error instanceof AxiosError) {
        error.config = config;
        throw error;
      }
      throw config.signal?.aborted ? canceled(config) : transportError(error, config, proxyFor(url));
    }

    const result: AxiosResponse<string> = {
      data: text,
      status: response.statusCode,
      statusText: '',
      headers: response.headers,
      config,
      request: undefined,
    };
    const valid = config.validateStatus ?? ((status: number) => status >= 200 && status < 300);
    if (!valid(result.status)) {
      throw new AxiosError(
        `Request failed with status code ${result.status}`,
        result.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
        config,
        undefined,
        result,
      );
    }
    return result;
  };
}

/**
 * The body decoded as `Content-Encoding` says (the client asks for gzip,
 * deflate and br). Decoding here rather than with undici's decompress
 * interceptor, which is still experimental (it warns at run time); the size
 * cap then counts decoded bytes, so a small compressed bomb cannot get past it.
 */
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

/** The body as UTF-8 text, refusing more than `max` bytes (-1: no cap). */
async function readText(body: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (max > -1 && length > max) {
      throw new AxiosError(`maxContentLength size of ${max} exceeded`, AxiosError.ERR_BAD_RESPONSE, undefined, undefined, undefined);
    }
    chunks.push(chunk);
  }
  const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length)).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a BOM is not content
}

function canceled(config: InternalAxiosRequestConfig): AxiosError {
  return new axios.CanceledError(undefined, undefined, config);
}

/** An `AxiosError` for a failure below HTTP, and the egress proxy the request went through. */
export interface TransportError extends AxiosError {
  /** `host:port` of the proxy, when the request went through one (spec §11). */
  proxyHost?: string;
}

/** A failure below HTTP as an `AxiosError` with the cause's code (ECONNREFUSED, a TLS code …). */
function transportError(error: unknown, config: InternalAxiosRequestConfig, proxy?: URL): TransportError {
  // Duck-typed: an error from another realm (Node's internals under a test VM) is no `instanceof Error`.
  const cause = isErrorLike(error) ? error : new Error(String(error));
  const code = (cause as { code?: unknown }).code;
  const wrapped: TransportError = new AxiosError(cause.message, typeof code === 'string' ? code : undefined, config);
  wrapped.cause = cause;
  if (proxy !== undefined) wrapped.proxyHost = proxy.host;
  return wrapped;
}

function isErrorLike(value: unknown): value is Error {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string';
}
