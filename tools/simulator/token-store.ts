import { randomBytes } from 'node:crypto';

interface IssuedToken {
  user: string;
  expiresAt: number;
}

/** base64url of a JSON value: one segment of a JWT. */
function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Bearer tokens issued by `POST /auth`, each valid until its expiry (spec §7: 4 hours). */
export class TokenStore {
  private readonly issued = new Map<string, IssuedToken>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A new token for `user`, JWT-shaped as real Qualys tokens are (spec §7:
   * the relay refuses anything else). Random, not sequential: the relay must
   * never be able to guess or reuse a token. Nobody verifies the signature:
   * the simulator looks tokens up.
   */
  issue(user: string): string {
    this.dropExpired();
    const issuedAt = this.now();
    const expiresAt = issuedAt + this.ttlMs;
    const token = [
      segment({ alg: 'HS256', typ: 'JWT' }),
      segment({
        sub: user,
        iat: Math.floor(issuedAt / 1000),
        exp: Math.floor(expiresAt / 1000),
        jti: randomBytes(16).toString('hex'),
      }),
      randomBytes(32).toString('base64url'),
    ].join('.');
    this.issued.set(token, { user, expiresAt });
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
