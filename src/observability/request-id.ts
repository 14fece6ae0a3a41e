import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * A caller's request id is reused only when it is a plain token: it ends up in
 * log lines and a response header, so no spaces, quotes, control characters
 * or unbounded lengths.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:@+=-]{0,127}$/;

/** The caller's `X-Request-Id` when it is sane, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value !== undefined && SANE_REQUEST_ID.test(value) ? value : randomUUID();
}
