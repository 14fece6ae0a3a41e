import { request, type Dispatcher } from 'undici';

/**
 * The one place the module CLI sends HTTP (spec §10). Every call has a
 * timeout covering the whole exchange, redirects are not followed, and an
 * answer larger than `MAX_ANSWER_BYTES` is refused. `dispatcher` is the seam
 * for the egress proxy of spec §11; without it undici's global dispatcher is
 * used.
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

export async function sendHttp(call: HttpCall): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(call.timeoutMs);
  try {
    const answer = await request(call.url, {
      method: call.method,
      headers: call.headers,
      body: call.body,
      signal: timeout,
      ...(call.dispatcher === undefined ? {} : { dispatcher: call.dispatcher }),
    });
    const text = await readText(answer.body);
    const contentType = answer.headers['content-type'];
    const mediaType = (Array.isArray(contentType) ? contentType[0] : (contentType ?? ''))
      .split(';')[0]
      .trim()
      .toLowerCase();
    return { status: answer.statusCode, mediaType, text };
  } catch (error) {
    if (error instanceof HttpFailureError) throw error;
    if (timeout.aborted) throw new HttpFailureError('timeout');
    const code = (error as { code?: unknown }).code;
    throw new HttpFailureError('unreachable', typeof code === 'string' ? code : undefined);
  }
}

async function readText(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new HttpFailureError('too-large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
