import { ErrorCode, type RelayWarningItem } from '../common/relay-error.js';

/**
 * Room kept for what surrounds the entities in an answer: the envelope,
 * the list counts and the request-wide errors (deadline, busy, this
 * warning), each a short fixed text.
 */
export const ENVELOPE_BYTES = 4096;

/**
 * Spec §15: one `/observe` answer is at most `RELAY_MAX_ANSWER_MB`
 * serialized. Observables are added in request order; the first that does
 * not fit, and every one after it, is left out.
 */
export class AnswerBudget {
  private usedBytes = ENVELOPE_BYTES;

  constructor(readonly maxBytes: number) {}

  get used(): number {
    return this.usedBytes;
  }

  /** Counts `bytes` more when they fit; says whether they did. */
  add(bytes: number): boolean {
    if (this.usedBytes + bytes > this.maxBytes) return false;
    this.usedBytes += bytes;
    return true;
  }
}

/** UTF-8 bytes of `value` as JSON: what it adds to the answer. */
export function serializedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value));
}

/** Spec §15: the one warning item of an answer cut to its size limit, after any fatal errors. */
export function answerSizeWarning(leftOut: number, total: number): RelayWarningItem {
  return {
    type: 'warning',
    code: ErrorCode.TOO_MANY_ENTITIES,
    message: `The answer reached its size limit; ${leftOut} of ${total} observables were left out. Send fewer observables or lower CTR_ENTITIES_LIMIT.`,
  };
}
