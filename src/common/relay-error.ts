/**
 * Error codes of the relay envelope (spec §7). They are machine-readable and
 * part of the public contract: Threat Response shows them to analysts.
 */
export const ErrorCode = {
  AUTHORIZATION: 'authorization error',
  PERMISSION_DENIED: 'permission denied',
  TOO_MANY_REQUESTS: 'too many requests',
  SERVICE_UNAVAILABLE: 'service unavailable',
  CONNECTION: 'connection error',
  INVALID_ARGUMENT: 'invalid argument',
  HEALTH_CHECK_FAILED: 'health check failed',
  NOT_FOUND: 'not found',
  UNKNOWN: 'unknown',
  /** A warning, not a failure: the answer was cut to its size limit (spec §15). */
  TOO_MANY_ENTITIES: 'too many entities',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** One item of the `errors` list of the relay envelope. */
export interface RelayErrorItem {
  type: 'fatal';
  code: ErrorCode;
  message: string;
}

/** A `warning` item of the `errors` list: the answer is good but not whole (spec §15). */
export interface RelayWarningItem {
  type: 'warning';
  code: ErrorCode;
  message: string;
}

/**
 * The one error type of the relay. Everything below the HTTP layer throws it
 * (or something the exception filter maps to it); its message is shown to the
 * caller as-is, so it must never carry a credential, a token or a stack.
 */
export class RelayError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }

  toItem(): RelayErrorItem {
    return { type: 'fatal', code: this.code, message: this.message };
  }
}

/**
 * Spec §7: what a caller sees for a failure nobody foresaw — code `unknown`
 * and a generic message, never the exception's own text or stack.
 */
export function unexpectedFailure(): RelayError {
  return new RelayError(ErrorCode.UNKNOWN, 'Something went wrong while handling the request.');
}

/** Spec §3: every authentication failure reads `Authorization failed: <why>`. */
export class AuthorizationError extends RelayError {
  constructor(reason: string) {
    super(ErrorCode.AUTHORIZATION, `Authorization failed: ${reason}`);
    this.name = 'AuthorizationError';
  }
}

/** Spec §7: a request body the relay cannot accept. */
export class InvalidArgumentError extends RelayError {
  constructor(details: string) {
    super(ErrorCode.INVALID_ARGUMENT, `Invalid JSON payload received. ${details}`);
    this.name = 'InvalidArgumentError';
  }
}

/** Spec §7, §15: the message of an unknown route, on every port; it never echoes the path. */
export const ROUTE_NOT_FOUND = 'Route not found';
