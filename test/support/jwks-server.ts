import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';

/**
 * A real https JWKS host on 127.0.0.1 for tests (spec §3). Its certificate
 * (test/fixtures/tls) is signed by the test-only CA that `npm test` trusts
 * through NODE_EXTRA_CA_CERTS, so the relay's production fetch path runs
 * unchanged: no interception, no TLS switches.
 */
export type JwksServerBehaviour =
  | { kind: 'keys' }
  | { kind: 'redirect'; location: string }
  | { kind: 'status'; status: number }
  | { kind: 'garbage' }
  | { kind: 'hang' };

export interface JwksServer {
  /** `127.0.0.1:PORT` (or the chosen address): what a token's `jwks_host` and the allow-list name. */
  readonly host: string;
  /** `https://127.0.0.1:PORT/.well-known/jwks` */
  readonly url: string;
  /** HTTP requests received so far, on any path. */
  readonly requests: number;
  /** TCP connections accepted so far (more connections than requests: a client gave up in TLS). */
  readonly connections: number;
  setKeys(jwks: JSONWebKeySet): void;
  /** Answer every request with `302 Location: <url>`. */
  setRedirect(url: string): void;
  setBehaviour(behaviour: JwksServerBehaviour): void;
  close(): Promise<void>;
}

const TLS_DIR = new URL('../fixtures/tls/', import.meta.url);
const JWKS_PATH = '/.well-known/jwks';

export async function startJwksServer(options: {
  keys: JSONWebKeySet;
  port?: number;
  /** Loopback address to listen on; default 127.0.0.1 (the certificate names it and localhost). */
  address?: string;
}): Promise<JwksServer> {
  const address = options.address ?? '127.0.0.1';
  let keys = options.keys;
  let behaviour: JwksServerBehaviour = { kind: 'keys' };
  let requests = 0;
  let connections = 0;

  const server: Server = createServer(
    {
      cert: readFileSync(new URL('server.crt', TLS_DIR)),
      key: readFileSync(new URL('server.key', TLS_DIR)),
    },
    (request, response) => {
      requests += 1;
      switch (behaviour.kind) {
        case 'hang':
          return; // never answers; close() destroys the socket
        case 'redirect':
          response.writeHead(302, { location: behaviour.location }).end();
          return;
        case 'status':
          response.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end('error');
          return;
        case 'garbage':
          response
            .writeHead(200, { 'content-type': 'application/json' })
            .end('{"keys": [ not json');
          return;
        case 'keys':
          if (request.url !== JWKS_PATH) {
            response.writeHead(404).end();
            return;
          }
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(keys));
      }
    },
  );
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, address, () => resolve());
  });
  const host = `${address}:${(server.address() as AddressInfo).port}`;

  return {
    host,
    url: `https://${host}${JWKS_PATH}`,
    get requests() {
      return requests;
    },
    get connections() {
      return connections;
    },
    setKeys(jwks) {
      keys = jwks;
      behaviour = { kind: 'keys' };
    },
    setRedirect(location) {
      behaviour = { kind: 'redirect', location };
    },
    setBehaviour(next) {
      behaviour = next;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
