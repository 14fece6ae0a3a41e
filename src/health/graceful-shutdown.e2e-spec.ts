import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { configServiceOf } from '../../test/support/jwt-test-config.js';
import { parseRelayConfig } from '../config/config-parser.js';
import { GracefulShutdown } from './graceful-shutdown.js';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** A plain HTTP server whose handler answers after `delayMs` (never, when undefined). */
async function serverBehind(
  shutdown: GracefulShutdown,
  delayMs: number | undefined,
): Promise<{ server: Server; url: string; received: Promise<void> }> {
  let onReceived: () => void = () => undefined;
  const received = new Promise<void>((resolve) => (onReceived = resolve));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    shutdown.middleware(
      req as Request,
      res as Response,
      (() => {
        onReceived();
        if (delayMs !== undefined) setTimeout(() => res.end('done'), delayMs);
      }) as NextFunction,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received };
}

function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    httpRequest(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
      );
    })
      .on('error', reject)
      .end();
  });
}

function shutdownFor(timeoutMs: number, server: () => Server): GracefulShutdown {
  const config = parseRelayConfig({
    AUTH_MODE: 'secret',
    JWT_SECRET: 'shutdown-spec-secret-0123456789abcdef',
    SHUTDOWN_TIMEOUT_MS: String(timeoutMs),
  });
  const host = { httpAdapter: { getHttpServer: server } } as unknown as HttpAdapterHost;
  return new GracefulShutdown(configServiceOf(config), host);
}

describe('GracefulShutdown', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server?.listening) await new Promise((resolve) => server?.close(resolve));
    server?.closeAllConnections();
  });

  it('turns unready at once, stops accepting, and lets the in-flight request finish with Connection: close', async () => {
    const shutdown = shutdownFor(5000, () => server as Server);
    const started = await serverBehind(shutdown, 150);
    server = started.server;
    const inFlight = get(started.url);
    await started.received;

    const drained = shutdown.beforeApplicationShutdown('SIGTERM');
    expect(shutdown.shuttingDown).toBe(true);
    expect(server.listening).toBe(false);
    expect(shutdown.inFlightRequests).toBe(1);
    await expect(get(started.url)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    expect(await inFlight).toEqual({ status: 200, connection: 'close', body: 'done' });
    await drained;
    expect(shutdown.inFlightRequests).toBe(0);
    expect(shutdown.beforeApplicationShutdown('SIGTERM')).toBe(drained);
  });

  it('closes what is still open when SHUTDOWN_TIMEOUT_MS runs out', async () => {
    const shutdown = shutdownFor(100, () => server as Server);
    const started = await serverBehind(shutdown, undefined);
    server = started.server;
    const hanging = get(started.url);
    await started.received;

    const before = Date.now();
    await shutdown.beforeApplicationShutdown('SIGTERM');
    expect(Date.now() - before).toBeGreaterThanOrEqual(95);
    await expect(hanging).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('drains at once when nothing is in flight', async () => {
    // A minute of grace that must not be waited for: seconds are a safe margin.
    const shutdown = shutdownFor(60_000, () => server as Server);
    server = (await serverBehind(shutdown, 0)).server;
    const before = Date.now();
    await shutdown.beforeApplicationShutdown();
    expect(Date.now() - before).toBeLessThan(10_000);
    expect(server.listening).toBe(false);
  });
});
