import { readFileSync } from 'node:fs';
import { get, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAddressPolicy } from '../common/address-policy.js';
import { createAgents } from './http-agents.js';
import { vettedLookup, type HostResolver } from './vetted-lookup.js';

const TLS_DIR = new URL('../../test/fixtures/tls/', import.meta.url);

/** Every name resolves to 127.0.0.1, as a hijacked DNS record would. */
const toLoopback: HostResolver = (_hostname, _options, callback) =>
  callback(null, [{ address: '127.0.0.1', family: 4 }]);

function agentsFor(allowlist: string[]) {
  const policy = createAddressPolicy({ allowlist, allowAll: false });
  return createAgents(4, { lookup: vettedLookup(toLoopback, policy), policy });
}

/** Status code, or the error code when no answer came. */
function fetchStatus(
  url: string,
  agent: ReturnType<typeof agentsFor>['httpsAgent'],
): Promise<number | string> {
  return new Promise((resolve) => {
    get(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    }).on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('createAgents: the address check on every new connection (spec §3)', () => {
  let server: Server;
  let connections = 0;
  let port: number;

  beforeAll(async () => {
    server = createServer(
      {
        cert: readFileSync(new URL('server.crt', TLS_DIR)),
        key: readFileSync(new URL('server.key', TLS_DIR)),
      },
      (_request, response) => response.end('ok'),
    );
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('refuses a name that resolves to loopback, and an IP literal, before connecting', async () => {
    connections = 0;
    const { httpsAgent } = agentsFor([]);
    // `localhost` is on the test certificate: only the address check can stop this call.
    expect(await fetchStatus(`https://localhost:${port}/`, httpsAgent)).toBe(
      'ERR_QUALYS_ADDRESS_REFUSED',
    );
    expect(await fetchStatus(`https://127.0.0.1:${port}/`, httpsAgent)).toBe(
      'ERR_QUALYS_ADDRESS_REFUSED',
    );
    expect(connections).toBe(0);
    httpsAgent.destroy();
  });

  it('connects when the address lies in the allow-list', async () => {
    connections = 0;
    const { httpsAgent } = agentsFor(['127.0.0.0/8']);
    expect(await fetchStatus(`https://localhost:${port}/`, httpsAgent)).toBe(200);
    expect(await fetchStatus(`https://127.0.0.1:${port}/`, httpsAgent)).toBe(200);
    expect(connections).toBe(2);
    httpsAgent.destroy();
  });
});
