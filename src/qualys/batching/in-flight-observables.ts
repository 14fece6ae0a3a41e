import type { QualysEvent } from '../qualys-event.js';

/** How one state of one observable ended for the search that owned it. */
export type OwnedOutcome =
  { kind: 'settled'; events: QualysEvent[]; fetchedAt: number; bytes: number } | { kind: 'failed' };

/** One observable and state being searched: the owner's entity limit and its outcome to come. */
export interface InFlightEntry {
  limit: number;
  outcome: Promise<OwnedOutcome>;
}

/**
 * Spec §12 "Limits and cache": in one process, an observable already being
 * searched for the same credentials — alone, or in a batch whose page covers
 * at least its own L — joins that search instead of a new batch. Keyed by
 * credentials, type, value as sent (its own filter: two forms of one value
 * are two searches, whose answers Qualys may not make equal) and state.
 * An owner resolves its entry when the state is final, which removes it.
 */
export class InFlightObservables {
  private readonly entries = new Map<string, InFlightEntry>();

  static keyOf(credentialsKey: string, type: string, value: string, active: boolean): string {
    // Length-prefixed parts: no choice of value can make two keys collide.
    return [credentialsKey, type, value, active ? 'active' : 'historical']
      .map((part) => `${part.length}:${part}`)
      .join('|');
  }

  /** The search to join for `key`, when one is in flight whose limit covers `limit`. */
  joinable(key: string, limit: number): InFlightEntry | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.limit >= limit ? entry : undefined;
  }

  /**
   * Claims `key` for a search with entity limit `limit`; the returned
   * function resolves it (once) and, if it is still the one registered, drops it.
   * A claim replaces an entry whose limit is smaller: later joiners get the larger page.
   */
  claim(key: string, limit: number): (outcome: OwnedOutcome) => void {
    let resolve!: (outcome: OwnedOutcome) => void;
    const entry: InFlightEntry = {
      limit,
      outcome: new Promise<OwnedOutcome>((done) => (resolve = done)),
    };
    const current = this.entries.get(key);
    if (current === undefined || current.limit < limit) this.entries.set(key, entry);
    let resolved = false;
    return (outcome) => {
      if (resolved) return;
      resolved = true;
      if (this.entries.get(key) === entry) this.entries.delete(key);
      resolve(outcome);
    };
  }
}
