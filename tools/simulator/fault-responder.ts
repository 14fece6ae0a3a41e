import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { defaultStatusBody, type FaultSpec } from './faults.js';
import { drainOrClose, send } from './http-io.js';

/** What a fault response needs from the running simulator. */
export interface FaultEnvironment {
  /** Aborted when the simulator closes: streaming responses stop at once. */
  signal: AbortSignal;
  /** Streaming responses still writing; lets tests prove nothing is left running. */
  openStreams: Set<ServerResponse>;
  /** The request's body as received. */
  requestBody: string;
  /** The Qualys user the request stands for, when the simulator knows it. */
  user?: string;
}

/** What `echo-request` answers when the spec names no status: a proxy's "Bad Gateway". */
export const DEFAULT_ECHO_STATUS = 502;

const JSON_TYPE = { 'Content-Type': 'application/json' };

/** Cut off mid-event, as a proxy or a crashed backend would leave it. */
export const MALFORMED_JSON_BODY =
  '[{"id":"5e1a7c01-0000-4000-8000-000000000001","dateTime":"2024-05-14T09:1';

/** Valid JSON, but an object where the relay expects the bare array of spec §7. */
export const JSON_OBJECT_BODY = JSON.stringify({ data: [], count: 0, message: 'OK' });

export const DEFAULT_ENDLESS_CHUNK_INTERVAL_MS = 10;

/** One ~1 KiB filler event, repeated to build the huge and endless bodies. */
function fillerEvent(n: number): string {
  return JSON.stringify({
    id: `f1e1de00-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    dateTime: '2024-05-14T09:12:44.000+0000',
    type: 'FILE',
    action: 'Created',
    score: '5',
    file: { fileName: 'filler.bin', fullPath: `C:\\Filler\\${'x'.repeat(800)}.bin` },
  });
}

/** The `huge-body` answer is at least this long: big enough to trip any sane size limit. */
export const HUGE_BODY_MIN_BYTES = 50 * 1024 * 1024;
const HUGE_CHUNK_EVENTS = 1000;
let hugeChunk: Buffer | undefined;

/** ~1 MiB of comma-separated events, built once on first use. */
function hugeBodyChunk(): Buffer {
  hugeChunk ??= Buffer.from(
    Array.from({ length: HUGE_CHUNK_EVENTS }, (_, i) => fillerEvent(i)).join(','),
  );
  return hugeChunk;
}

/** Chunks in the huge body: `[` + n chunks joined by `,` + `]` = 1 + n × (chunk + 1) bytes. */
function hugeChunkCount(): number {
  return Math.ceil((HUGE_BODY_MIN_BYTES - 1) / (hugeBodyChunk().length + 1));
}

/** Exact byte length of the `huge-body` answer. */
export function hugeBodyLength(): number {
  return 1 + hugeChunkCount() * (hugeBodyChunk().length + 1);
}

/** Number of events in the `huge-body` array. */
export function hugeBodyEventCount(): number {
  return hugeChunkCount() * HUGE_CHUNK_EVENTS;
}

/** Events in the `gzip-bomb` array: `[` + n × `{}` joined by `,` + `]` = 3n + 1 bytes = 4 MiB. */
export const GZIP_BOMB_EVENTS = (4 * 1024 * 1024 - 1) / 3;
let gzipBomb: Buffer | undefined;

/** The `gzip-bomb` answer as sent (compressed), built once on first use. */
export function gzipBombBody(): Buffer {
  gzipBomb ??= gzipSync(`[${'{},'.repeat(GZIP_BOMB_EVENTS - 1)}{}]`, { level: 9 });
  return gzipBomb;
}

/** Answers `request` as the fault says, instead of the normal answer. */
export function respondWithFault(
  request: IncomingMessage,
  response: ServerResponse,
  spec: FaultSpec,
  environment: FaultEnvironment,
): void {
  const headers = spec.headers ?? {};
  switch (spec.kind) {
    case 'status': {
      const status = spec.status ?? 500;
      const body = spec.body ?? defaultStatusBody(spec.on, status);
      send(response, status, body, { 'Content-Type': contentTypeOf(body), ...headers });
      return;
    }
    case 'malformed-json':
      send(response, 200, spec.body ?? MALFORMED_JSON_BODY, { ...JSON_TYPE, ...headers });
      return;
    case 'json-object':
      send(response, 200, spec.body ?? JSON_OBJECT_BODY, { ...JSON_TYPE, ...headers });
      return;
    case 'huge-body':
      response.writeHead(200, { ...JSON_TYPE, ...headers });
      void streamHugeBody(response, environment);
      return;
    case 'gzip-bomb':
      send(response, 200, gzipBombBody(), {
        ...JSON_TYPE,
        'Content-Encoding': 'gzip',
        ...headers,
      });
      return;
    case 'endless-body':
      response.writeHead(200, { ...JSON_TYPE, ...headers });
      streamEndlessBody(
        response,
        spec.chunkIntervalMs ?? DEFAULT_ENDLESS_CHUNK_INTERVAL_MS,
        environment,
      );
      return;
    case 'hang':
      // Nothing to do: the response stays open until the client gives up or close() ends it.
      return;
    case 'reset':
      // An RST, not a FIN: the client must see ECONNRESET, not an orderly end.
      request.socket.resetAndDestroy();
      return;
    case 'echo-request': {
      const status = spec.status ?? DEFAULT_ECHO_STATUS;
      send(response, status, echoPage(request, status, environment), {
        'Content-Type': 'text/plain; charset=utf-8',
        ...headers,
      });
      return;
    }
  }
}

/** A careless proxy's error page that repeats what it was sent, secrets included. */
export function echoPage(
  request: IncomingMessage,
  status: number,
  environment: FaultEnvironment,
): string {
  return [
    `${status} ${STATUS_CODES[status] ?? 'Error'} (proxy debug)`,
    `Authorization: ${request.headers.authorization ?? ''}`,
    `User: ${environment.user ?? ''}`,
    `Request: ${request.method ?? ''} ${(request.url ?? '/').split('?')[0]}`,
    `Body: ${environment.requestBody}`,
  ].join('\n');
}

function contentTypeOf(body: string): string {
  try {
    JSON.parse(body);
    return 'application/json';
  } catch {
    return 'text/plain; charset=utf-8';
  }
}

function* hugeBodyParts(): Generator<Buffer> {
  const chunk = hugeBodyChunk();
  const count = hugeChunkCount();
  yield Buffer.from('[');
  for (let i = 0; i < count; i++) {
    if (i > 0) yield Buffer.from(',');
    yield chunk;
  }
  yield Buffer.from(']');
}

/** Streams the huge body with back-pressure, stopping as soon as the client leaves. */
async function streamHugeBody(response: ServerResponse, environment: FaultEnvironment) {
  environment.openStreams.add(response);
  try {
    for (const part of hugeBodyParts()) {
      if (response.destroyed || environment.signal.aborted) return;
      if (!response.write(part)) await drainOrClose(response);
    }
    if (!response.destroyed) response.end();
  } finally {
    environment.openStreams.delete(response);
  }
}

/**
 * Writes one event every `intervalMs` after an opening `[`, forever. At most
 * one timer is pending at a time, and it is cleared when the client leaves or
 * the simulator closes, so nothing outlives the connection.
 */
function streamEndlessBody(
  response: ServerResponse,
  intervalMs: number,
  environment: FaultEnvironment,
): void {
  const { signal, openStreams } = environment;
  let timer: NodeJS.Timeout | undefined;
  let written = 0;

  const stop = (): void => {
    clearTimeout(timer);
    timer = undefined;
    openStreams.delete(response);
    response.off('close', stop);
    response.off('drain', schedule);
    signal.removeEventListener('abort', abort);
  };
  const abort = (): void => {
    stop();
    response.destroy();
  };
  function schedule(): void {
    if (response.destroyed) return stop();
    timer = setTimeout(writeNext, intervalMs);
  }
  function writeNext(): void {
    timer = undefined;
    if (response.destroyed) return stop();
    const ok = response.write(`${written === 0 ? '' : ','}${fillerEvent(written)}`);
    written++;
    // Under back-pressure wait for 'drain' instead of buffering without bound.
    if (ok) schedule();
    else response.once('drain', schedule);
  }

  if (signal.aborted) return void response.destroy();
  openStreams.add(response);
  response.on('close', stop);
  signal.addEventListener('abort', abort, { once: true });
  response.write('[');
  schedule();
}
