import type { QualysCredentials } from '../auth/relay-context.js';
import { BODY_TOO_LARGE, QualysTransportError } from './qualys-http.js';
import { AuthorizationError, ErrorCode, RelayError } from '../common/relay-error.js';
import type { QualysStatusClass } from './qualys-status.js';
import { quoteUpstream } from './upstream-text.js';

const TLS_ERROR_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

const TOO_MANY_REQUESTS_MESSAGE =
  'Too many requests to Qualys IOC have been made. Please try again later.';
const SERVICE_UNAVAILABLE_MESSAGE = 'Service temporarily unavailable. Please try again later.';

export function connectionError(apiUrl: string): RelayError {
  return new RelayError(
    ErrorCode.CONNECTION,
    `Unable to connect to Qualys IOC, validate the configured API URL: ${apiUrl}`,
  );
}

/**
 * Spec §9: the subscription's rate budget is spent. A request still answers
 * with what it has (cached searches, finished ones) plus this error.
 */
export class RateLimitReachedError extends RelayError {
  constructor(readonly retryInMs: number) {
    super(
      ErrorCode.TOO_MANY_REQUESTS,
      `Qualys IOC API rate limit reached; try again in ${Math.max(1, Math.ceil(retryInMs / 1000))} seconds.`,
    );
    this.name = 'RateLimitReachedError';
  }
}

export function rateLimitReached(retryInMs: number): RateLimitReachedError {
  return new RateLimitReachedError(retryInMs);
}

/**
 * Spec §9: searches were still unfinished at the request's deadline —
 * `too many requests` when one was waiting for a slot or the rate budget,
 * else `connection error`. `/health` has no observables to count.
 */
export function deadlineReached(
  waitingForLimits: boolean,
  counts?: { unfinished: number; total: number },
): RelayError {
  const code = waitingForLimits ? ErrorCode.TOO_MANY_REQUESTS : ErrorCode.CONNECTION;
  return new RelayError(
    code,
    counts === undefined
      ? 'Qualys IOC did not answer in time; try again later.'
      : `Qualys IOC did not answer in time for ${counts.unfinished} of ${counts.total} observables; try again later.`,
  );
}

const UNEXPECTED_RESPONSE = 'Unexpected response from Qualys IOC: ';

export function unexpectedResponse(what: string): RelayError {
  return new RelayError(ErrorCode.UNKNOWN, `${UNEXPECTED_RESPONSE}${what}`);
}

/** Spec §7: a message for the caller never quotes their own credentials back. */
function quoteBody(body: string, credentials: QualysCredentials): string {
  return quoteUpstream(body, [credentials.user, credentials.pass]);
}

/**
 * What Qualys said, for the caller: its JSON error lists when it sent them
 * (`{"authentication_exceptions": [...]}`), else its text; scrubbed.
 */
function qualysMessage(body: string, fallback: string, credentials: QualysCredentials): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      const parts = Object.values(parsed as Record<string, unknown>).flatMap((value) =>
        Array.isArray(value)
          ? value.filter((v) => typeof v === 'string')
          : typeof value === 'string'
            ? [value]
            : [],
      );
      if (parts.length > 0) return quoteBody(parts.join(', '), credentials);
    }
  } catch {
    // Not JSON: Qualys often answers errors in plain text.
  }
  const text = quoteBody(body, credentials);
  return text === '' ? fallback : text;
}

/**
 * Spec §7: a Qualys answer that is not a success (its status class,
 * `qualys-status.ts`) as the relay error it stands for. The caller's
 * `credentials` are scrubbed from any text quoted from `body`.
 */
export function errorForStatus(
  statusClass: Exclude<QualysStatusClass, 'success'>,
  status: number,
  body: string,
  credentials: QualysCredentials,
): RelayError {
  switch (statusClass) {
    case 'unauthorized':
      return new AuthorizationError(qualysMessage(body, 'Unauthorized', credentials));
    case 'forbidden':
      return new RelayError(
        ErrorCode.PERMISSION_DENIED,
        qualysMessage(body, 'Forbidden', credentials),
      );
    case 'rate_limited':
      return new RelayError(ErrorCode.TOO_MANY_REQUESTS, TOO_MANY_REQUESTS_MESSAGE);
    case 'unavailable':
      return new RelayError(ErrorCode.SERVICE_UNAVAILABLE, SERVICE_UNAVAILABLE_MESSAGE);
    // A search never gets here with 'not_found': the client answers "nothing found" instead.
    case 'not_found':
    case 'client_error':
    case 'server_error':
      return unexpectedResponse(quoteBody(body, credentials) || `HTTP ${status}`);
  }
}

/** Spec §12: the statuses that refuse a batch as such (its filter), not "nothing found". */
export type BatchRefusalStatus = 400 | 413 | 414;

export function isBatchRefusal(status: number): status is BatchRefusalStatus {
  return status === 400 || status === 413 || status === 414;
}

/** Qualys refused a batch's filter (spec §12): the batch is split, never answered as such. */
export class BatchRefusedError extends Error {
  override readonly name = 'BatchRefusedError';
  constructor(readonly status: BatchRefusalStatus) {
    super(`Qualys IOC refused a batched search with HTTP ${status}`);
  }
}

/**
 * Spec §15: an answer over `QUALYS_MAX_ANSWER_MB`. The error a single search
 * answers; a batch counts it as a full answer instead (spec §12).
 */
export class AnswerTooLargeError extends RelayError {
  constructor() {
    super(ErrorCode.UNKNOWN, `${UNEXPECTED_RESPONSE}the response body is too large`);
  }
}

/**
 * Spec §7: a transport failure (no HTTP answer) as a relay error. Only the
 * API URL is named — never a token or credential.
 */
export function errorForTransportFailure(error: unknown, apiUrl: string): RelayError {
  if (error instanceof RelayError) return error;
  if (!(error instanceof QualysTransportError)) return connectionError(apiUrl);
  const { code, message, proxyHost } = error;
  if (code !== undefined && TLS_ERROR_CODES.has(code)) {
    return new RelayError(ErrorCode.UNKNOWN, `Unable to verify SSL certificate: ${message}`);
  }
  if (code === BODY_TOO_LARGE) return new AnswerTooLargeError();
  if (proxyHost !== undefined) {
    const failure = proxyFailure(message, code);
    if (failure !== undefined) {
      // Spec §11: the proxy host, never its credentials (they are not in `host`).
      return new RelayError(
        ErrorCode.CONNECTION,
        `Unable to connect to Qualys IOC through the proxy ${proxyHost}: ${failure}`,
      );
    }
  }
  // Refused, reset, DNS, timeouts and aborted (over-budget) calls alike.
  return connectionError(apiUrl);
}

/** Failures of opening a connection: through a proxy, the proxy is what could not be reached. */
const CONNECT_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** What went wrong with the egress proxy itself, or undefined when the failure lies beyond it. */
function proxyFailure(message: string, code: string | undefined): string | undefined {
  // undici's ProxyAgent: "Proxy Authentication Required (407)", "Proxy response (403) !== 200 when HTTP Tunneling".
  const status = /Proxy response \((\d{3})\)/.exec(message)?.[1] ?? /\((407)\)/.exec(message)?.[1];
  if (status !== undefined) return `the proxy refused the tunnel (HTTP ${status})`;
  if (code !== undefined && CONNECT_FAILURE_CODES.has(code)) return 'the proxy cannot be reached';
  return undefined;
}
