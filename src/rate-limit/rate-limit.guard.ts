import {
  HttpException,
  HttpStatus,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { ConfigService } from '@nestjs/config';
import type { RelaySettings } from '../config/config.module.js';
import { SKIP_RATE_LIMIT_KEY } from './skip-rate-limit.decorator.js';

const WINDOW_MS = 60_000;
/** Bound on remembered clients; the least recently seen go first. */
const MAX_CLIENTS = 100_000;

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * The operator's per-client request limit (`RATE_LIMIT_PER_MINUTE`; 0, the
 * default, turns it off: Threat Response's own traffic is never limited
 * unless an operator asks). A token bucket per client IP — `TRUST_PROXY_HOPS`
 * decides whether that is the connection's or X-Forwarded-For's — holding
 * one minute's allowance and refilling continuously, so there is no burst at
 * window edges. Over the limit: HTTP 429 and `Retry-After`; the exception
 * filter answers the envelope code `too many requests`.
 *
 * Why not `@nestjs/throttler`: its 6.x release is CommonJS and `require()`s
 * the ESM-only `@nestjs/common` 12, which Node ≥ 20.19 allows but Jest's
 * module loader refuses before Node 24.9, so the test suite could not boot
 * the production pipeline with it.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly limit: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly reflector: Reflector,
    settings: ConfigService<RelaySettings, true>,
  ) {
    const config = settings.get('relay', { infer: true });
    this.limit = config.rateLimitPerMinute;
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.limit === 0 || context.getType() !== 'http') return true;
    const skip = this.reflector.getAllAndOverride<boolean | undefined>(SKIP_RATE_LIMIT_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (skip === true) return true;

    const http = context.switchToHttp();
    const request = http.getRequest<Request>();
    const waitMs = this.take(request.ip ?? 'unknown');
    if (waitMs === 0) return true;
    http.getResponse<Response>().setHeader('Retry-After', String(Math.ceil(waitMs / 1000)));
    throw new HttpException('Too many requests', HttpStatus.TOO_MANY_REQUESTS);
  }

  /** Takes a token for `client`: 0 when granted, else how long until one is available (ms). */
  private take(client: string): number {
    const now = Date.now();
    const previous = this.buckets.get(client);
    const refill = previous ? ((now - previous.updatedAt) * this.limit) / WINDOW_MS : this.limit;
    const tokens = Math.min(this.limit, (previous?.tokens ?? 0) + refill);
    // Re-insert: Map order is then least recently seen first, for eviction.
    this.buckets.delete(client);
    if (tokens >= 1) {
      this.buckets.set(client, { tokens: tokens - 1, updatedAt: now });
      this.evictOverflow();
      return 0;
    }
    this.buckets.set(client, { tokens, updatedAt: now });
    return Math.max(1, Math.ceil(((1 - tokens) * WINDOW_MS) / this.limit));
  }

  private evictOverflow(): void {
    while (this.buckets.size > MAX_CLIENTS) {
      const oldest = this.buckets.keys().next().value;
      if (oldest === undefined) return;
      this.buckets.delete(oldest);
    }
  }
}
