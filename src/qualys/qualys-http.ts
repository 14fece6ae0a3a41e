import { Inject, Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici';
import type { EgressDispatcher } from '../egress/egress-dispatcher.js';
import { QUALYS_TRANSPORT } from './qualys-transport.module.js';

export interface QualysHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  /** Query parameters, form-encoded after the URL. */
  query?: Record<string, string>;
  headers: Record<string, string>;
  body?: string;
  /** Aborts the call (its timeout, the search's budget, the request's deadline). */
  signal: AbortSignal;
  /** Largest decoded body accepted, bytes. */
  maxBytes: number;
}

export interface QualysHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body, decoded as `Content-Encoding` says, as UTF-8 text. */
  data: string;
}

/** A call that got no HTTP answer: the socket's or TLS's code, and the egress proxy it went through. */
export class QualysTransportError extends Error {
  override readonly name = 'QualysTransportError';
  constructor(
    message: string,
    readonly code: string | undefined,
    /** `host:port` of the egress proxy, when the call went through one (spec §11). */
    readonly proxyHost: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The answer was larger than the call accepts. */
export const BODY_TOO_LARGE = 'ERR_QUALYS_BODY_TOO_LARGE';
/** The call was aborted (timeout, budget, deadline, abandonment). */
export const CALL_ABORTED = 'ERR_QUALYS_CALL_ABORTED';

/**
 * The Qualys HTTP client provider: one method over the undici pools of the
 * Qualys transport (keep-alive, egress proxy, address check). It decodes
 * what Qualys compresses. The relay needs a handful of things from a
 * client, all here: a method, a
 * URL with a query, headers, a string body, an abort signal, a size cap on
 * the decoded body, and no redirects (undici's `request` follows none).
 */
@Injectable()
export class QualysHttp {
  constructor(@Inject(QUALYS_TRANSPORT) private readonly transport: EgressDispatcher) {}

  async request(call: QualysHttpRequest): Promise<QualysHttpResponse> {
    const url = new URL(call.url);
    if (call.query !== undefined) url.search = new URLSearchParams(call.query).toString();
    const egress = this.transport;
    if (call.signal.aborted) throw aborted();
    let response: Dispatcher.ResponseData;
    try {
      response = await egress.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: call.method,
        headers: call.headers,
        body: call.body,
        signal: call.signal,
      });
    } catch (error) {
      throw call.signal.aborted ? aborted() : transportError(error, egress.proxyFor(url));
    }
    try {
      const encoding = response.headers['content-encoding'];
      const body = decoded(response.body, typeof encoding === 'string' ? encoding : undefined);
      return {
        status: response.statusCode,
        headers: response.headers,
        data: await readText(body, call.maxBytes),
      };
    } catch (error) {
      response.body.destroy();
      if (error instanceof QualysTransportError) throw error;
      throw call.signal.aborted ? aborted() : transportError(error, undefined);
    }
  }
}

/**
 * The body decoded as `Content-Encoding` says (the client asks for gzip,
 * deflate and br). The size cap then counts decoded bytes, so a small
 * compressed bomb cannot get past it. (undici's decompress interceptor is
 * still experimental: it warns at run time.)
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

/** The body as UTF-8 text, refusing more than `max` bytes. */
async function readText(body: Readable, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > max) {
      throw new QualysTransportError(
        `the answer is larger than ${max} bytes`,
        BODY_TOO_LARGE,
        undefined,
      );
    }
    chunks.push(chunk);
  }
  const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length)).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // a BOM is not content
}

function aborted(): QualysTransportError {
  return new QualysTransportError('the call was aborted', CALL_ABORTED, undefined);
}

/**
 * A failure below HTTP with the cause's code (ECONNREFUSED, a TLS code …).
 * Duck-typed: an error from another realm (Node's internals under a test VM)
 * is no `instanceof Error`.
 */
function transportError(error: unknown, proxy: URL | undefined): QualysTransportError {
  const { message, code } =
    typeof error === 'object' && error !== null
      ? (error as { message?: unknown; code?: unknown })
      : {};
  return new QualysTransportError(
    typeof message === 'string' ? message : String(error),
    typeof code === 'string' ? code : undefined,
    proxy?.host,
    { cause: error },
  );
}
