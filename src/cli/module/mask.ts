/** What a masked secret is printed as. */
export const MASK = '***';

/** Keys whose value is a secret wherever they appear in a printed document. */
const SECRET_KEY =
  /^(authorization(-header)?|pass(word)?|client[-_]?password|secret|(access[-_])?token|jwt)$/i;
/** A JWT (relay tokens, Threat Response access tokens) inside any text. */
const JWT_SHAPE = /\beyJ[\w-]+\.[\w-]+\.[\w-]*/g;

/**
 * A copy of a document about to be printed (a dry run's write) with secrets
 * masked: values under secret-looking keys (an `authorization-header` keeps
 * its scheme: `Bearer ***`) and JWT-shaped text anywhere.
 */
export function maskDocument(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (SECRET_KEY.test(key)) {
      const scheme = /^(Bearer|Basic)\s/i.exec(value)?.[1];
      return scheme === undefined ? MASK : `${scheme} ${MASK}`;
    }
    return maskText(value);
  }
  if (Array.isArray(value)) return value.map((item) => maskDocument(item, key));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [name, maskDocument(item, name)]),
    );
  }
  return value;
}

/** JWT-shaped text becomes `***`. */
export function maskText(text: string): string {
  return text.replace(JWT_SHAPE, MASK);
}

/**
 * The last line of defence before anything is printed: known secret values
 * (the client password and its Basic credential, the access token, the relay
 * JWT) and JWT-shaped text become `***`, whatever message they ended up in.
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Values shorter than 4 characters are not tracked: masking them would garble text. */
  add(secret: string | undefined): void {
    if (secret !== undefined && secret.length >= 4) this.secrets.add(secret);
  }

  redact(text: string): string {
    // Longest first, so a secret that contains another is masked whole.
    const known = [...this.secrets].sort((a, b) => b.length - a.length);
    let result = text;
    for (const secret of known) result = result.split(secret).join(MASK);
    return maskText(result);
  }
}
