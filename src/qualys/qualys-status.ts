/** The two kinds of Qualys call the relay makes. */
export type QualysOperation = 'auth' | 'search';

/**
 * What a Qualys answer means to the relay, read from its HTTP status. The
 * client acts on it, the errors are built from it and the metrics count it
 * (`relay_qualys_calls_total{outcome}`), so the status rules live here only.
 */
export type QualysStatusClass =
  | 'success'
  | 'not_found'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'unavailable'
  | 'client_error'
  | 'server_error';

/** How one HTTP call to Qualys ended: its status class, or no answer at all. */
export type QualysCallOutcome = QualysStatusClass | 'connection_error' | 'transport_error';

export function classifyStatus(operation: QualysOperation, status: number): QualysStatusClass {
  if (status >= 200 && status < 300) return 'success';
  // Spec §7: 400 and 404 from a search mean "nothing found" (an empty list).
  if (operation === 'search' && (status === 400 || status === 404)) return 'not_found';
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  // Spec §7: 409 is the classic Qualys API's refusal for rate or concurrency.
  if (status === 429 || status === 409) return 'rate_limited';
  if (status === 503) return 'unavailable';
  return status < 500 ? 'client_error' : 'server_error';
}

/** Spec §7, §9: a refusal (429/409) or a brief outage (503) is worth retrying. */
export function isRetryable(statusClass: QualysStatusClass): boolean {
  return statusClass === 'rate_limited' || statusClass === 'unavailable';
}
