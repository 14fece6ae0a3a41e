import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ErrorCode, ROUTE_NOT_FOUND } from '../common/relay-error.js';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { RelayConfig } from '../config/relay-config.js';
import { DOCS_PATH } from '../observability/route-label.js';

/** Marks a request that arrived on the operations port (set by `OpsServer`'s listener). */
const ON_OPS_PORT = Symbol('onOpsPort');

/** Spec §14: the routes that move to `OPS_PORT` when it is set. */
export function isOperationsPath(path: string): boolean {
  return (
    path === '/metrics' ||
    path === '/healthz/live' ||
    path === '/healthz/ready' ||
    path === DOCS_PATH ||
    path.startsWith(`${DOCS_PATH}/`) ||
    path === `${DOCS_PATH}-json`
  );
}

/**
 * The operations port (spec §14, `OPS_PORT`): a second HTTP server in front
 * of the same Express application, so probes, metrics and docs keep the one
 * pipeline, registry and shutdown state of the relay — a second Nest
 * application would need its own copies of them, kept in step.
 * `portRouter` splits the routes: operational ones answer on this port
 * only, relay routes on `PORT` only; the other port answers 404 as for
 * any unknown route.
 *
 * It closes last: Nest closes the relay's server after the graceful drain
 * (graceful-shutdown.ts), then runs `onApplicationShutdown`, so probes and
 * scrapes see the whole drain (readiness answering 503).
 */
@Injectable()
export class OpsServer implements OnApplicationShutdown {
  private server: Server | undefined;

  private readonly config: RelayConfig;

  constructor(
    settings: ConfigService<RelaySettings, true>,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.config = settings.get('relay', { infer: true });
  }

  /** Listens on `OPS_PORT`; does nothing (resolves undefined) when it is not set. */
  async listen(): Promise<AddressInfo | undefined> {
    if (this.config.opsPort === undefined) return undefined;
    const handle =
      this.adapterHost.httpAdapter.getInstance<
        (request: IncomingMessage, response: unknown) => void
      >();
    const server = createServer((request, response) => {
      (request as IncomingMessage & { [ON_OPS_PORT]?: true })[ON_OPS_PORT] = true;
      handle(request, response);
    });
    this.server = server;
    server.listen(this.config.opsPort, this.config.host);
    await once(server, 'listening');
    return server.address() as AddressInfo;
  }

  /**
   * Express middleware, mounted by `mountPipeline` when `OPS_PORT` is set:
   * a route answers on its own port only.
   */
  readonly portRouter: RequestHandler = (
    request: Request,
    response: Response,
    next: NextFunction,
  ): void => {
    const onOpsPort = (request as Request & { [ON_OPS_PORT]?: true })[ON_OPS_PORT] === true;
    if (isOperationsPath(request.path) === onOpsPort) {
      next();
      return;
    }
    // The answer of any unknown route (common/relay-exception.filter.ts), without the path.
    response.status(404).json({
      errors: [
        {
          type: 'fatal',
          code: ErrorCode.NOT_FOUND,
          message: ROUTE_NOT_FOUND,
        },
      ],
    });
  };

  /**
   * The relay port's URL as seen by the browser that opened the docs on
   * this port: the same host name, the relay's port. For the OpenAPI
   * `servers` entry, so "Try it out" calls the relay routes where they are.
   */
  relayUrl(request: Request): string {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server | undefined;
    const address = server?.address() as AddressInfo | null | undefined;
    const port = address?.port ?? this.config.port;
    // The Host header is the client's: only a plain host name goes into the document.
    const host = /^[A-Za-z0-9.-]{1,253}$|^\[[0-9A-Fa-f:.]{2,45}\]$/.test(request.hostname)
      ? request.hostname
      : 'localhost';
    return `${request.protocol}://${host}:${port}`;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = once(server, 'close');
    server.close();
    // Scrapers keep connections alive; nothing is in flight on them any more.
    server.closeAllConnections();
    await closed;
  }
}
