/**
 * One HTTP request over node:http, as the benchmarks and the end-to-end
 * specs send them: exactly the headers and bytes given, the whole answer as
 * text, and the wall time. node:http rather than fetch, so a caller controls
 * the connection (a keep-alive `Agent` with one socket) and the framing.
 */
import { request as httpRequest, type Agent } from 'node:http';

export interface HttpAnswer {
  status: number;
  contentType: string;
  text: string;
  /** Wall time from sending the request to the last byte of the answer. */
  ms: number;
}

export interface RequestOptions {
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  agent?: Agent;
  /** Default 30 s. */
  timeoutMs?: number;
}

/**
 * Content-Length is set by hand whenever there is a body: node's client sends
 * a GET or DELETE body unframed, which would corrupt the next request on a
 * kept-alive connection.
 */
export function sendRequest(
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpAnswer> {
  const { body } = options;
  const headers =
    body === undefined
      ? (options.headers ?? {})
      : { ...options.headers, 'Content-Length': String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(
      `${base}${path}`,
      {
        method,
        headers,
        agent: options.agent,
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text,
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST with a JSON body (none when `body` is undefined), with a bearer token when given. */
export function postJson(
  base: string,
  path: string,
  body: unknown,
  options: { token?: string; agent?: Agent; timeoutMs?: number } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  return sendRequest(base, 'POST', path, {
    headers,
    body: body === undefined ? '' : JSON.stringify(body),
    agent: options.agent,
    timeoutMs: options.timeoutMs,
  });
}
