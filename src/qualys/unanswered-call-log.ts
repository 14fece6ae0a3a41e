import { Logger } from '@nestjs/common';
import { BODY_TOO_LARGE, CALL_ABORTED, QualysTransportError } from './qualys-http.js';
import type { QualysOperation } from './qualys-status.js';

const logger = new Logger('QualysClient');

/** The fields of the log line about a call without an answer. */
export interface UnansweredCall {
  apiHost: string;
  operation: QualysOperation;
  cause: string;
  code?: string;
  proxyHost?: string;
}

/**
 * Logs one `warn` line for a Qualys call that got no HTTP answer — refused,
 * DNS, TLS, reset, through the egress proxy, or timed out — naming the API
 * host and the cause (see `unansweredCall`).
 */
export function logUnansweredCall(
  apiUrl: string,
  operation: QualysOperation,
  error: unknown,
  signal: AbortSignal,
): void {
  const fields = unansweredCall(apiUrl, operation, error, signal);
  if (fields !== undefined) logger.warn(fields, 'Qualys IOC call failed without an answer');
}

/**
 * What to log about a call that failed with `error`: the API host, the
 * operation and the cause; never the credentials, the token or the query
 * (the filter names what was searched), so only `apiUrl`'s host. Undefined
 * for a call the caller abandoned (a sibling failed, the request ended) and
 * for an answer too large (Qualys did answer).
 *
 * `signal` is the call's own signal: it aborts with a `TimeoutError` when the
 * call's timeout fires.
 */
export function unansweredCall(
  apiUrl: string,
  operation: QualysOperation,
  error: unknown,
  signal: AbortSignal,
): UnansweredCall | undefined {
  const cause = causeOf(error, signal);
  if (cause === undefined) return undefined;
  const fields: UnansweredCall = { apiHost: new URL(apiUrl).host, operation, ...cause };
  if (error instanceof QualysTransportError && error.proxyHost !== undefined) {
    fields.proxyHost = error.proxyHost;
  }
  return fields;
}

function causeOf(
  error: unknown,
  signal: AbortSignal,
): Pick<UnansweredCall, 'cause' | 'code'> | undefined {
  if (!(error instanceof QualysTransportError)) return undefined;
  if (error.code === CALL_ABORTED) {
    const reason: unknown = signal.reason;
    const timedOut = reason instanceof DOMException && reason.name === 'TimeoutError';
    return timedOut ? { cause: 'the call timed out', code: 'ETIMEDOUT' } : undefined;
  }
  if (error.code === BODY_TOO_LARGE) return undefined;
  return error.code === undefined
    ? { cause: error.message }
    : { cause: error.message, code: error.code };
}
