import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createProxy } from 'proxy';

/**
 * A real forward proxy on a loopback port (the `proxy` package: CONNECT
 * tunnels for https targets, absolute-form requests for http ones), counting
 * what goes through it, optionally requiring basic proxy authentication.
 */
export interface ForwardProxy {
  /** `http://127.0.0.1:PORT` (no credentials). */
  readonly url: string;
  readonly port: number;
  /** `host:port` of every CONNECT asked for, in order. */
  readonly tunnels: string[];
  /** Absolute URLs of the plain (http) requests forwarded. */
  readonly requests: string[];
  /** `user:pass` of every Proxy-Authorization header received. */
  readonly credentials: string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startForwardProxy(
  options: { user?: string; pass?: string } = {},
): Promise<ForwardProxy> {
  const tunnels: string[] = [];
  const requests: string[] = [];
  const credentials: string[] = [];
  const sockets = new Set<Socket>();
  const server = createProxy(createServer());
  server.authenticate = (request: IncomingMessage) => {
    const header = request.headers['proxy-authorization'];
    const decoded = header?.startsWith('Basic ')
      ? Buffer.from(header.slice(6), 'base64').toString('utf8')
      : undefined;
    if (decoded !== undefined) credentials.push(decoded);
    if (options.user === undefined) return true;
    return decoded === `${options.user}:${options.pass ?? ''}`;
  };
  // Counted before the proxy's own listeners run (they are registered first, so prepend).
  server.prependListener('connect', (request: IncomingMessage) => tunnels.push(request.url ?? ''));
  server.prependListener('request', (request: IncomingMessage) => requests.push(request.url ?? ''));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    tunnels,
    requests,
    credentials,
    reset() {
      tunnels.length = 0;
      requests.length = 0;
      credentials.length = 0;
    },
    close: () => closeServer(server, sockets),
  };
}

/** A proxy that answers every CONNECT and request with `status` (a proxy policy refusing Qualys). */
export async function startRefusingProxy(
  status: number,
): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((_request, response) => {
    response.writeHead(status, { Connection: 'close' }).end();
  });
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    socket.end(`HTTP/1.1 ${status} Refused by policy\r\nConnection: close\r\n\r\n`);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, close: () => closeServer(server, sockets) };
}

async function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
