/** Spec §12: how long a subscription keeps a batch size learned from refusals. */
export const LEARNED_BATCH_SIZE_TTL_MS = 60 * 60 * 1000;

/**
 * Spec §12 "Refused batches": once the halves of a refused batch are
 * answered, the subscription's batch size is the halves' size for an hour,
 * in this process. Only ever lowered while it holds; entries are dropped
 * when read after they expire, and the oldest beyond `maxEntries` go first,
 * so the map stays small however many subscriptions come and go.
 */
export class LearnedBatchSizes {
  private readonly sizes = new Map<string, { size: number; until: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** The batch size to use for `subscriptionId`: `configured`, or less while a learned size holds. */
  sizeFor(subscriptionId: string, configured: number): number {
    const learned = this.sizes.get(subscriptionId);
    if (learned === undefined) return configured;
    if (learned.until <= this.now()) {
      this.sizes.delete(subscriptionId);
      return configured;
    }
    return Math.min(configured, learned.size);
  }

  /** The halves of a refused batch were answered: `size` holds for an hour (never raising a lower one). */
  lower(subscriptionId: string, size: number): void {
    const current = this.sizes.get(subscriptionId);
    const now = this.now();
    const kept = current !== undefined && current.until > now ? Math.min(current.size, size) : size;
    this.sizes.delete(subscriptionId);
    this.sizes.set(subscriptionId, {
      size: Math.max(1, kept),
      until: now + LEARNED_BATCH_SIZE_TTL_MS,
    });
    if (this.sizes.size > this.maxEntries) {
      const oldest = this.sizes.keys().next().value;
      if (oldest !== undefined) this.sizes.delete(oldest);
    }
  }
}
