import type { Server } from 'node:http';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import type { RelayConfig } from '../config/relay-config.js';

/**
 * Graceful shutdown (SIGTERM from Kubernetes). Nest calls
 * `beforeApplicationShutdown` before it closes the HTTP server; here:
 *
 * 1. readiness turns unready at once (`shuttingDown`), so `/healthz/ready`
 *    answers 503 to whoever still asks;
 * 2. the server stops accepting connections and idle keep-alive sockets close;
 * 3. in-flight requests finish, each answered with `Connection: close` so no
 *    client reuses the socket, within `SHUTDOWN_TIMEOUT_MS`;
 * 4. whatever is still open after that is closed.
 *
 * Nest then closes the (now drained) server and `main.ts` exits with 0.
 */
@Injectable()
export class GracefulShutdown implements BeforeApplicationShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);
  private readonly inFlight = new Set<Response>();
  private draining = false;
  private onIdle: (() => void) | undefined;
  private drained: Promise<void> | undefined;

  private readonly config: RelayConfig;

  constructor(
    settings: ConfigService<RelaySettings, true>,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.config = settings.get('relay', { infer: true });
  }

  get shuttingDown(): boolean {
    return this.draining;
  }

  get inFlightRequests(): number {
    return this.inFlight.size;
  }

  /** Express middleware tracking in-flight requests; mounted first by `createApp`. */
  readonly middleware = (_request: Request, response: Response, next: NextFunction): void => {
    this.inFlight.add(response);
    if (this.draining) response.setHeader('Connection', 'close');
    const done = () => {
      if (this.inFlight.delete(response) && this.inFlight.size === 0) this.onIdle?.();
    };
    response.once('finish', done);
    response.once('close', done);
    next();
  };

  beforeApplicationShutdown(signal?: string): Promise<void> {
    this.drained ??= this.drain(signal);
    return this.drained;
  }

  private async drain(signal: string | undefined): Promise<void> {
    this.draining = true;
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    this.logger.log(
      { signal, inFlight: this.inFlight.size },
      'Shutting down: draining in-flight requests',
    );
    for (const response of this.inFlight) {
      if (!response.headersSent) response.setHeader('Connection', 'close');
    }
    if (server?.listening) server.close(); // stops accepting; closes idle keep-alive sockets
    const finished = await this.waitForIdle(this.config.shutdownTimeoutMs);
    if (!finished) {
      this.logger.warn(
        { inFlight: this.inFlight.size, timeoutMs: this.config.shutdownTimeoutMs },
        'Shutdown timeout reached: closing the remaining connections',
      );
    }
    server?.closeAllConnections();
  }

  private waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onIdle = undefined;
        resolve(false);
      }, timeoutMs);
      this.onIdle = () => {
        clearTimeout(timer);
        this.onIdle = undefined;
        resolve(true);
      };
    });
  }
}
