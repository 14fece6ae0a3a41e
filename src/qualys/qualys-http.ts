import { Inject, Injectable } from '@nestjs/common';
import { HttpService } from '@nestjs/axios';
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import type { EgressDispatcher } from '../egress/egress-dispatcher.js';
import { BodyTooLargeError, transportCause } from '../egress/egress-axios.js';
import { undiciAdapter } from '../egress/undici-adapter.js';
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

/**
 * The axios instance of every Qualys call (the Qualys module's `HttpModule`):
 * sent through the Qualys transport (undici-adapter.ts); statuses are the
 * client's to judge (spec §7), and bodies text it parses itself, bounded.
 */
export function qualysAxiosOptions(transport: EgressDispatcher): AxiosRequestConfig {
  return {
    adapter: undiciAdapter(transport),
    validateStatus: null,
    transformRequest: [],
    transformResponse: [],
    headers: { Accept: '*/*' },
  };
}

/** The answer was larger than the call accepts. */
export const BODY_TOO_LARGE = 'ERR_QUALYS_BODY_TOO_LARGE';
/** The call was aborted (timeout, budget, deadline, abandonment). */
export const CALL_ABORTED = 'ERR_QUALYS_CALL_ABORTED';

/**
 * The Qualys HTTP client provider: one method over the axios instance of
 * the Qualys module's `HttpModule` (`HttpService.axiosRef`, no Observable
 * in between), whose adapter sends through the Qualys transport's undici
 * pools (keep-alive, egress proxy, address check; see undici-adapter.ts).
 * Per call only what the call needs is given: method, URL with its query,
 * headers, body, abort signal and the decoded-size cap.
 */
@Injectable()
export class QualysHttp {
  private readonly axios: AxiosInstance;

  constructor(
    http: HttpService,
    @Inject(QUALYS_TRANSPORT) private readonly transport: EgressDispatcher,
  ) {
    this.axios = http.axiosRef;
  }

  async request(call: QualysHttpRequest): Promise<QualysHttpResponse> {
    const url =
      call.query === undefined
        ? call.url
        : `${call.url}?${new URLSearchParams(call.query).toString()}`;
    if (call.signal.aborted) throw aborted();
    try {
      return await settledOrAborted(this.send(url, call), call.signal);
    } catch (error) {
      if (call.signal.aborted) throw aborted();
      if (error instanceof BodyTooLargeError) {
        throw new QualysTransportError(error.message, BODY_TOO_LARGE, undefined);
      }
      throw transportError(transportCause(error), this.transport.proxyFor(url));
    }
  }

  private async send(url: string, call: QualysHttpRequest): Promise<QualysHttpResponse> {
    const response = await this.axios.request<string>({
      method: call.method,
      url,
      headers: call.headers,
      data: call.body,
      signal: call.signal,
      // Decoded bytes (undici-adapter.ts), spec §15.
      maxContentLength: call.maxBytes,
    });
    return {
      status: response.status,
      // undici's: lower-case names.
      headers: response.headers as QualysHttpResponse['headers'],
      data: response.data,
    };
  }
}

/**
 * The call's promise, or its abort the moment `signal` fires: fetch and
 * axios take a few turns more to unwind, and the caller's deadline (spec §9)
 * must free the call's slot and memory at once, not after them. The socket
 * still closes behind it (the signal aborts the fetch too).
 */
function settledOrAborted<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
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
