import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { HTTP_SERVER_TIMEOUTS, applyHttpServerTimeouts } from './http-server-timeouts.js';

describe('applyHttpServerTimeouts (spec §15)', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  });

  it('sets the headers, request and keep-alive timeouts and the check interval', () => {
    server = createServer();
    applyHttpServerTimeouts(server);
    expect({
      headersTimeout: server.headersTimeout,
      requestTimeout: server.requestTimeout,
      keepAliveTimeout: server.keepAliveTimeout,
      connectionsCheckingInterval: (server as unknown as { connectionsCheckingInterval: number })
        .connectionsCheckingInterval,
    }).toEqual({
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      connectionsCheckingInterval: 1_000,
    });
    expect(HTTP_SERVER_TIMEOUTS.headersTimeout).toBeLessThan(HTTP_SERVER_TIMEOUTS.requestTimeout);
  });

  it('makes Node check them at that interval once listening: late headers get a 408', async () => {
    server = createServer((_request, response) => response.end());
    applyHttpServerTimeouts(server);
    // Shorter timeouts for this spec only; the interval is what is under test.
    server.headersTimeout = 300;
    server.requestTimeout = 600;
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    const started = Date.now();
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.write('GET / HTTP/1.1\r\nHost: relay\r\n');
    await new Promise((resolve) => socket.on('close', resolve));
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    // Within the interval after the timeout; with Node's 30 s interval it takes up to 30 s.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
