import { randomBytes } from 'node:crypto';

interface IssuedToken {
  user: string;
  expiresAt: number;
}

/** Bearer tokens issued by `POST /auth`, each valid until its expiry (spec §7: 4 hours). */
export class TokenStore {
  private readonly issued = new Map<string, IssuedToken>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new token for `user`. Random, not sequential: the relay must never be able to guess or reuse a token. */
  issue(user: string): string {
    this.dropExpired();
    const token = `sim-${randomBytes(16).toString('hex')}`;
    this.issued.set(token, { user, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  isValid(token: string): boolean {
    const issued = this.issued.get(token);
    return issued !== undefined && this.now() < issued.expiresAt;
  }

  /** Whom `token` was issued to, while the store remembers it. */
  userOf(token: string): string | undefined {
    return this.issued.get(token)?.user;
  }

  /** Every token issued so far stops working; later ones are unaffected. */
  revokeAll(): void {
    this.issued.clear();
  }

  /** Every token issued so far expires within `ms` (sooner if it already would). */
  expireAllIn(ms: number): void {
    const deadline = this.now() + ms;
    for (const issued of this.issued.values()) {
      issued.expiresAt = Math.min(issued.expiresAt, deadline);
    }
  }

  /** Keeps memory flat in long soak runs that fetch many tokens. */
  private dropExpired(): void {
    const now = this.now();
    for (const [token, issued] of this.issued) {
      if (issued.expiresAt <= now) this.issued.delete(token);
    }
  }
}
