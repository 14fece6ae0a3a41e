import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HttpService } from '@nestjs/axios';
import axios from 'axios';
import { createAddressPolicy } from '../common/address-policy.js';
import type { EgressDispatcher } from '../egress/egress-dispatcher.js';
import { createQualysTransport } from './qualys-transport.js';
import {
  BODY_TOO_LARGE,
  QualysHttp,
  QualysTransportError,
  qualysAxiosOptions,
} from './qualys-http.js';
import { vettedLookup, type HostResolver } from './vetted-lookup.js';

const TLS_DIR = new URL('../../test/fixtures/tls/', import.meta.url);

/** Every name resolves to 127.0.0.1, as a hijacked DNS record would. */
const toLoopback: HostResolver = (_hostname, _options, callback) =>
  callback(null, [{ address: '127.0.0.1', family: 4 }]);

function transportFor(allowlist: string[]): EgressDispatcher {
  const policy = createAddressPolicy({ allowlist, allowAll: false });
  return createQualysTransport({ noProxy: [] }, 4, {
    lookup: vettedLookup(toLoopback, policy),
    policy,
  });
}

/** One GET through the transport's QualysHttp. */
function get(transport: EgressDispatcher, url: string, maxBytes = 1024 * 1024) {
  return new QualysHttp(
    new HttpService(axios.create(qualysAxiosOptions(transport))),
    transport,
  ).request({
    method: 'GET',
    url,
    headers: { 'Accept-Encoding': 'gzip, deflate, br' },
    signal: new AbortController().signal,
    maxBytes,
  });
}

/** Status code, or the error code when no answer came. */
async function fetchStatus(url: string, transport: EgressDispatcher): Promise<number | string> {
  try {
    return (await get(transport, url)).status;
  } catch (error) {
    return error instanceof QualysTransportError ? String(error.code) : String(error);
  }
}

describe('the Qualys transport (spec §3, §7)', () => {
  let server: Server;
  let connections = 0;
  let port: number;
  const big = JSON.stringify(
    Array.from({ length: 2000 }, (_, i) => ({ id: `event-${i}`, score: '8' })),
  );

  beforeAll(async () => {
    server = createServer(
      {
        cert: readFileSync(new URL('server.crt', TLS_DIR)),
        key: readFileSync(new URL('server.key', TLS_DIR)),
      },
      (request, response) => {
        if (request.url === '/gzip') {
          const gzip = /gzip/.test(request.headers['accept-encoding'] ?? '');
          response.writeHead(200, {
            'Content-Type': 'application/json',
            ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
          });
          response.end(gzip ? gzipSync(big) : big);
          return;
        }
        if (request.url === '/gzip-error') {
          response.writeHead(500, { 'Content-Encoding': 'gzip' });
          response.end(gzipSync('Internal failure in IOC search'));
          return;
        }
        response.end('ok');
      },
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
    const transport = transportFor([]);
    // `localhost` is on the test certificate: only the address check can stop this call.
    expect(await fetchStatus(`https://localhost:${port}/`, transport)).toBe(
      'ERR_QUALYS_ADDRESS_REFUSED',
    );
    expect(await fetchStatus(`https://127.0.0.1:${port}/`, transport)).toBe(
      'ERR_QUALYS_ADDRESS_REFUSED',
    );
    expect(connections).toBe(0);
    await transport.destroy();
  });

  it('connects when the address lies in the allow-list, and keeps connections alive', async () => {
    connections = 0;
    const transport = transportFor(['127.0.0.0/8']);
    for (let i = 0; i < 5; i++)
      expect(await fetchStatus(`https://localhost:${port}/`, transport)).toBe(200);
    expect(await fetchStatus(`https://127.0.0.1:${port}/`, transport)).toBe(200);
    // Six calls, two origins: a connection is reused (at most one extra while the first is handed back).
    expect(connections).toBeLessThanOrEqual(3);
    await transport.destroy();
  });

  it('decodes gzip answers, error answers too, and caps the decoded size', async () => {
    const transport = transportFor(['127.0.0.0/8']);
    expect((await get(transport, `https://localhost:${port}/gzip`)).data).toBe(big);
    expect(await get(transport, `https://localhost:${port}/gzip-error`)).toMatchObject({
      status: 500,
      data: 'Internal failure in IOC search',
    });
    // Compressed, the answer is a few KB; decoded it is larger than the cap.
    await expect(get(transport, `https://localhost:${port}/gzip`, 10_000)).rejects.toMatchObject({
      code: BODY_TOO_LARGE,
    });
    await transport.destroy();
  });
});
