import { randomBytes } from 'node:crypto';

/** Bearer tokens issued by `POST /auth`, each valid until its expiry (spec §7: 4 hours). */
export class TokenStore {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(): string {
    this.dropExpired();
    // Random, not sequential: the relay must never be able to guess or reuse a token.
    const token = `sim-${randomBytes(16).toString('hex')}`;
    this.expiries.set(token, this.now() + this.ttlMs);
    return token;
  }

  isValid(token: string): boolean {
    const expiresAt = this.expiries.get(token);
    return expiresAt !== undefined && this.now() < expiresAt;
  }

  /** Every token issued so far stops working; later ones are unaffected. */
  revokeAll(): void {
    this.expiries.clear();
  }

  /** Every token issued so far expires within `ms` (sooner if it already would). */
  expireAllIn(ms: number): void {
    const deadline = this.now() + ms;
    for (const [token, expiresAt] of this.expiries) {
      this.expiries.set(token, Math.min(expiresAt, deadline));
    }
  }

  /** Keeps memory flat in long soak runs that fetch many tokens. */
  private dropExpired(): void {
    const now = this.now();
    for (const [token, expiresAt] of this.expiries) {
      if (expiresAt <= now) this.expiries.delete(token);
    }
  }
}
