import axios, { type AxiosInstance } from 'axios';
import type { Dispatcher } from 'undici';
import {
  BodyTooLargeError,
  egressAxiosDefaults,
  readText,
  transportCause,
} from '../../egress/egress-axios.js';

/**
 * The one place the module CLI sends HTTP (spec §10), for the Threat
 * Response API client (iroh-client.ts): axios over the egress dispatcher, as
 * the relay's own calls (egress/egress-axios.ts). Every call has a timeout
 * covering the whole exchange, redirects are not followed, and an answer
 * larger than `MAX_ANSWER_BYTES` (decoded) is refused. `dispatcher` is the
 * seam for the egress proxy of spec §11; without it undici's global
 * dispatcher is used.
 */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  dispatcher?: Dispatcher;
}

export interface HttpAnswer {
  status: number;
  /** The media type without parameters, lower case; '' when absent. */
  mediaType: string;
  text: string;
}

export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

type HttpFailureKind = 'timeout' | 'unreachable' | 'too-large';

/** No usable HTTP answer; `code` is the system error code when there was one (ECONNREFUSED). */
export class HttpFailureError extends Error {
  override readonly name = 'HttpFailureError';
  constructor(
    readonly kind: HttpFailureKind,
    readonly code?: string,
  ) {
    super(code === undefined ? kind : `${kind} (${code})`);
  }
}

/** One axios instance per dispatcher (the CLI has one, or none: undici's global one). */
const clients = new WeakMap<Dispatcher, AxiosInstance>();
let defaultClient: AxiosInstance | undefined;

function clientFor(dispatcher: Dispatcher | undefined): AxiosInstance {
  if (dispatcher === undefined) return (defaultClient ??= axios.create(egressAxiosDefaults()));
  let client = clients.get(dispatcher);
  if (client === undefined) {
    client = axios.create(egressAxiosDefaults(dispatcher));
    clients.set(dispatcher, client);
  }
  return client;
}

export async function sendHttp(call: HttpCall): Promise<HttpAnswer> {
  // Aborted at the timeout (the whole exchange, body included), and on any failure.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, call.timeoutMs);
  try {
    const answer = await clientFor(call.dispatcher).request<ReadableStream<Uint8Array> | null>({
      method: call.method,
      url: call.url,
      headers: call.headers,
      data: call.body,
      signal: controller.signal,
    });
    const text = await readText(answer.data, MAX_ANSWER_BYTES);
    const contentType = answer.headers['content-type'] as unknown;
    const mediaType = (typeof contentType === 'string' ? contentType : '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    return { status: answer.status, mediaType, text };
  } catch (error) {
    controller.abort();
    if (timedOut) throw new HttpFailureError('timeout');
    if (error instanceof BodyTooLargeError) throw new HttpFailureError('too-large');
    const code = (transportCause(error) as { code?: unknown } | null)?.code;
    throw new HttpFailureError('unreachable', typeof code === 'string' ? code : undefined);
  } finally {
    clearTimeout(timer);
  }
}
