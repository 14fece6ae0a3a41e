import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads the whole request body as UTF-8, refusing more than `limitBytes`. */
export async function readBody(request: IncomingMessage, limitBytes: number): Promise<string> {
  // The decoder keeps a multi-byte character split across two chunks intact.
  const decoder = new StringDecoder('utf8');
  let text = '';
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new BodyTooLargeError(`request body exceeds ${limitBytes} bytes`);
    text += decoder.write(chunk);
  }
  return text + decoder.end();
}

/** Writes a complete response, unless the client is already gone. */
export function send(
  response: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: OutgoingHttpHeaders = {},
): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, {
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: OutgoingHttpHeaders = {},
): void {
  send(response, status, text, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
}

export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), { 'Content-Type': 'application/json' });
}

export function sendNoContent(response: ServerResponse): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(204);
  response.end();
}

export function sendMethodNotAllowed(response: ServerResponse, allowed: string): void {
  sendText(response, 405, 'Method Not Allowed', { Allow: allowed });
}

/** Resolves when the response can take more data, or when it is gone for good. */
export function drainOrClose(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (response.destroyed) return resolve();
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/**
 * Answers a request whose handler failed: nothing when the client already
 * left (e.g. aborted while sending the body), 413 for an oversized body, else
 * a logged 500 (or a dropped connection once the headers went out).
 */
export function answerFailure(
  request: IncomingMessage,
  response: ServerResponse,
  error: unknown,
  server: string,
): void {
  if (response.destroyed || request.socket.destroyed) return;
  if (error instanceof BodyTooLargeError) {
    sendText(response, 413, 'Payload Too Large', { Connection: 'close' });
    return;
  }
  console.error(`${server}: unexpected error`, error);
  if (response.headersSent) response.destroy();
  else sendText(response, 500, 'Internal Server Error');
}
