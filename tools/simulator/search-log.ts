import type { RefusalKind } from './subscription-limits.js';

/**
 * One search as the simulator saw it: enough for a test to count the calls
 * started after a moment, or how many overlapped.
 */
export interface SearchLogEntry {
  /** The user whose token the search carried; absent when the token was not valid. */
  user?: string;
  /** Epoch ms (fractional) of arrival. */
  startedAt: number;
  /** Epoch ms when its response ended (sent, or the client left); absent while running. */
  endedAt?: number;
  /** Status answered; absent while running or when nothing was sent (client gone, hang, reset). */
  status?: number;
  /** Why the search was refused; absent when it was admitted. */
  refused?: RefusalKind;
}

/** The latest searches, oldest first, at most `capacity` (memory stays flat in soak runs). */
export class SearchLog {
  private entries: SearchLogEntry[] = [];

  constructor(private readonly capacity: number) {}

  /** Records an arrival; pass the returned entry to `finish`. */
  start(
    user: string | undefined,
    startedAt: number,
    refused: RefusalKind | undefined,
  ): SearchLogEntry {
    const entry: SearchLogEntry = { startedAt };
    if (user !== undefined) entry.user = user;
    if (refused !== undefined) entry.refused = refused;
    this.entries.push(entry);
    const excess = this.entries.length - this.capacity;
    if (excess > 0) this.entries.splice(0, excess);
    return entry;
  }

  /** Completes an entry (one already dropped from the log, or cleared, stays dropped). */
  finish(entry: SearchLogEntry, endedAt: number, status: number | undefined): void {
    entry.endedAt = endedAt;
    if (status !== undefined) entry.status = status;
  }

  /** A snapshot: entries still running do not change in it later. */
  snapshot(): SearchLogEntry[] {
    return this.entries.map((entry) => ({ ...entry }));
  }

  clear(): void {
    this.entries = [];
  }
}
