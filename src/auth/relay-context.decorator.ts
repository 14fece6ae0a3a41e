import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { RelayContext } from './relay-context.js';
import type { RelayHttpRequest } from './relay-http-request.js';

/** Reads the context `JwtAuthGuard` attached to this request. */
export function relayContextOf(request: RelayHttpRequest): RelayContext {
  if (request.relayContext === undefined) {
    // A programming error (the decorator on a @Public() route), never a
    // caller's fault: fail loudly instead of running without credentials.
    throw new Error('@RelayCtx() used on a route without a verified JWT');
  }
  return request.relayContext;
}

/** `@RelayCtx() relayContext: RelayContext` — the verified caller's Qualys settings. */
export const RelayCtx = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RelayContext =>
    relayContextOf(context.switchToHttp().getRequest<RelayHttpRequest>()),
);
