import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { MockAgent } from 'undici';
import { HttpFailureError, MAX_ANSWER_BYTES, sendHttp } from './http-client.js';

/** A local server whose answer each test sets. */
let server: Server;
let base: string;
const sockets = new Set<Socket>();
let handler: (request: IncomingMessage, body: string, response: ServerResponse) => void;

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => handler(request, body, response));
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('sendHttp', () => {
  it('sends the method, headers and body, and reads status, media type and text', async () => {
    let seen: unknown;
    handler = (request, body, response) => {
      seen = { method: request.method, url: request.url, header: request.headers['x-test'], body };
      response.writeHead(201, { 'Content-Type': 'Application/JSON; charset=utf-8' });
      response.end('{"ok":true}');
    };
    const answer = await sendHttp({
      method: 'PATCH',
      url: `${base}/iroh/x`,
      headers: { 'x-test': 'yes' },
      body: '{"a":1}',
      timeoutMs: 5000,
    });
    expect(answer).toEqual({ status: 201, mediaType: 'application/json', text: '{"ok":true}' });
    expect(seen).toEqual({ method: 'PATCH', url: '/iroh/x', header: 'yes', body: '{"a":1}' });
  });

  it('does not follow redirects', async () => {
    handler = (_request, _body, response) => {
      response.writeHead(302, { Location: 'https://elsewhere.example' });
      response.end();
    };
    await expect(
      sendHttp({ method: 'GET', url: base, headers: {}, timeoutMs: 5000 }),
    ).resolves.toEqual({
      status: 302,
      mediaType: '',
      text: '',
    });
  });

  it('gives up after the timeout when the server does not answer', async () => {
    handler = () => undefined;
    await expect(
      sendHttp({ method: 'GET', url: base, headers: {}, timeoutMs: 300 }),
    ).rejects.toEqual(new HttpFailureError('timeout'));
  });

  it('gives up after the timeout when the body stalls', async () => {
    handler = (_request, _body, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.write('[');
    };
    await expect(
      sendHttp({ method: 'GET', url: base, headers: {}, timeoutMs: 300 }),
    ).rejects.toEqual(new HttpFailureError('timeout'));
  });

  it('refuses an answer larger than the cap', async () => {
    handler = (_request, _body, response) => {
      response.writeHead(200);
      response.end(Buffer.alloc(MAX_ANSWER_BYTES + 1, 'a'));
    };
    await expect(
      sendHttp({ method: 'GET', url: base, headers: {}, timeoutMs: 5000 }),
    ).rejects.toEqual(new HttpFailureError('too-large'));
  });

  it('reports an unreachable host with its error code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const failure = sendHttp({
      method: 'GET',
      url: `http://127.0.0.1:${port}`,
      headers: {},
      timeoutMs: 5000,
    });
    await expect(failure).rejects.toEqual(new HttpFailureError('unreachable', 'ECONNREFUSED'));
    await expect(failure).rejects.toHaveProperty('message', 'unreachable (ECONNREFUSED)');
  });

  it('sends through the dispatcher it is given (the egress seam)', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    agent
      .get('https://visibility.amp.cisco.com')
      .intercept({ path: '/iroh/iroh-int/module-type', method: 'GET' })
      .reply(200, '[]', { headers: { 'content-type': 'application/json' } });
    try {
      await expect(
        sendHttp({
          method: 'GET',
          url: 'https://visibility.amp.cisco.com/iroh/iroh-int/module-type',
          headers: {},
          timeoutMs: 5000,
          dispatcher: agent,
        }),
      ).resolves.toEqual({ status: 200, mediaType: 'application/json', text: '[]' });
      agent.assertNoPendingInterceptors();
    } finally {
      await agent.close();
    }
  });
});
