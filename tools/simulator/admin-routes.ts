import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultSpecError, type FaultSpec } from './faults.js';
import { sendJson, sendMethodNotAllowed, sendNoContent, sendText } from './http-io.js';
import {
  LimitSettingsError,
  type SubscriptionLimitSettings,
  type SubscriptionLimitsPatch,
} from './subscription-limits.js';

export const ADMIN_PREFIX = '/__simulator/';

/** What the admin routes may do to a running simulator. */
export interface AdminControls {
  stats(): unknown;
  resetStats(): void;
  injectFault(spec: FaultSpec): FaultSpec;
  clearFaults(): void;
  setLatency(ms: number): void;
  setMaxFilterLength(length: number | null): void;
  revokeTokens(): void;
  expireTokensIn(ms: number): void;
  limits(): SubscriptionLimitSettings;
  setLimits(patch: SubscriptionLimitsPatch): SubscriptionLimitSettings;
}

type AdminHandler = (body: string) => [status: number, payload?: unknown];

/**
 * Out-of-process control for benchmarks and soak runs (they start the
 * simulator as a separate process). Unauthenticated, so only loopback peers
 * may use it even when the simulator listens on other interfaces.
 */
export function handleAdminRequest(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  body: string,
  controls: AdminControls,
): void {
  if (!isLoopbackAddress(request.socket.remoteAddress)) {
    sendText(response, 403, 'Simulator admin endpoints are available from loopback only');
    return;
  }
  const table = adminRoutes(controls);
  const name = path.slice(ADMIN_PREFIX.length);
  // hasOwn: '/__simulator/constructor' must be a 404, not Object.prototype.
  if (!Object.hasOwn(table, name)) {
    sendText(response, 404, 'Not Found');
    return;
  }
  const routes = table[name];
  const handler = Object.hasOwn(routes, request.method ?? '')
    ? routes[request.method ?? '']
    : undefined;
  if (handler === undefined) {
    sendMethodNotAllowed(response, Object.keys(routes).join(', '));
    return;
  }
  try {
    const [status, payload] = handler(body);
    if (status === 204) sendNoContent(response);
    else sendJson(response, status, payload);
  } catch (error) {
    if (!(
      error instanceof AdminRequestError ||
      error instanceof FaultSpecError ||
      error instanceof LimitSettingsError
    )) {
      throw error;
    }
    sendText(response, 400, error.message);
  }
}

class AdminRequestError extends Error {}

function adminRoutes(controls: AdminControls): Record<string, Record<string, AdminHandler>> {
  return {
    stats: {
      GET: () => [200, controls.stats()],
      DELETE: () => {
        controls.resetStats();
        return [204];
      },
    },
    faults: {
      // injectFault validates the untrusted JSON; it answers the accepted spec.
      POST: (body) => [201, controls.injectFault(parseJson(body) as FaultSpec)],
      DELETE: () => {
        controls.clearFaults();
        return [204];
      },
    },
    latency: {
      POST: (body) => {
        const ms = readMs(body);
        controls.setLatency(ms);
        return [200, { latencyMs: ms }];
      },
    },
    'max-filter-length': {
      POST: (body) => {
        const length = readLength(body);
        controls.setMaxFilterLength(length);
        return [200, { maxFilterLength: length }];
      },
    },
    limits: {
      GET: () => [200, controls.limits()],
      // setLimits validates the untrusted JSON (strictly) and answers the limits in force.
      PATCH: (body) => [200, controls.setLimits(parseJson(body) as SubscriptionLimitsPatch)],
    },
    'revoke-tokens': {
      POST: () => {
        controls.revokeTokens();
        return [204];
      },
    },
    'expire-tokens': {
      POST: (body) => {
        controls.expireTokensIn(readMs(body));
        return [204];
      },
    },
  };
}

function readMs(body: string): number {
  const parsed = parseJson(body);
  const ms =
    typeof parsed === 'object' && parsed !== null ? (parsed as { ms?: unknown }).ms : undefined;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0) {
    throw new AdminRequestError('Body must be {"ms": <non-negative integer>}');
  }
  return ms;
}

/** `{"length": n}` (a positive integer) or `{"length": null}` (no bound). */
function readLength(body: string): number | null {
  const parsed = parseJson(body);
  const length =
    typeof parsed === 'object' && parsed !== null
      ? (parsed as { length?: unknown }).length
      : undefined;
  if (length === null) return null;
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 1) {
    throw new AdminRequestError('Body must be {"length": <positive integer> | null}');
  }
  return length;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new AdminRequestError('Body must be valid JSON');
  }
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const ipv4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return address === '::1' || ipv4.startsWith('127.');
}
