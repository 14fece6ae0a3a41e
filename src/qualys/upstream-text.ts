/**
 * Text quoted from a Qualys answer (or from a proxy in front of it) in an
 * error message the caller sees (spec §7). A proxy error page may echo the
 * request's `Authorization` header, a Qualys message may name the user: the
 * text is scrubbed of anything secret-shaped and of the caller's own
 * credentials, then put on one line and cut short.
 */
import {
  JWT_AT_WORD_START,
  LONG_DOTTED_TRIPLE,
  replaceDottedTokens,
  type DottedTokenRule,
} from '../common/dotted-tokens.js';
import { utf8Prefix } from '../common/utf8-prefix.js';

export const REDACTED = '[redacted]';

/** Spec §7: quoted text is at most this many code points, the ellipsis included. */
export const MAX_QUOTED_CODE_POINTS = 200;

/** Spec §15: upstream text is read up to its first 4 KiB (UTF-8) before it is scrubbed. */
export const MAX_UPSTREAM_TEXT_BYTES = 4096;

/**
 * Patterns of secrets, applied after the caller's own secrets are gone.
 * Linear: each begins at a keyword and its quantifiers cannot overlap (spec
 * §15); the JWT shapes, which a pattern cannot find in linear time, are
 * `TOKEN_RULES`.
 */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  // An Authorization header line (or JSON/form field): the whole value goes.
  [
    /\b((?:proxy-)?authorization)(["']?[ \t]*[:=][ \t]*)(?:"[^"\r\n]*"|'[^'\r\n]*'|[^\r\n]*)/gi,
    `$1$2${REDACTED}`,
  ],
  [/\b(bearer|basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
];

/** JWT-shaped: `eyJ…` (a JSON header), or any three long base64url segments. */
const TOKEN_RULES: readonly DottedTokenRule[] = [JWT_AT_WORD_START, LONG_DOTTED_TRIPLE];

const LONE_SURROGATES = /\p{Surrogate}/gu;

/**
 * `text` scrubbed of JWT- and bearer-shaped strings, `Authorization` values
 * and every one of `secrets` (as written, URL- or form-encoded, or
 * JSON-escaped, in any letter case), then on one line and at most
 * `MAX_QUOTED_CODE_POINTS` code points (cut between code points, never
 * inside a surrogate pair, with `…` when cut). Only the first
 * `MAX_UPSTREAM_TEXT_BYTES` of `text` are read; a text cut there also loses
 * its last, partial word (a secret cut short would escape the scrub) and
 * ends with `…`.
 */
export function quoteUpstream(text: string, secrets: readonly string[]): string {
  const prefix = utf8Prefix(text, MAX_UPSTREAM_TEXT_BYTES);
  const cut = prefix.length < text.length;
  let scrubbed = cut ? withoutLastWord(prefix) : prefix;
  const secretPattern = secretsPattern(secrets);
  if (secretPattern !== undefined) scrubbed = scrubbed.replace(secretPattern, REDACTED);
  for (const [pattern, replacement] of SECRET_PATTERNS) {
    scrubbed = scrubbed.replace(pattern, replacement);
  }
  for (const rule of TOKEN_RULES) scrubbed = replaceDottedTokens(scrubbed, rule, REDACTED);
  const oneLine = scrubbed.replace(LONE_SURROGATES, '\ufffd').replace(/\s+/g, ' ').trim();
  const codePoints = Array.from(oneLine);
  if (codePoints.length <= MAX_QUOTED_CODE_POINTS && !cut) return oneLine;
  return `${codePoints.slice(0, MAX_QUOTED_CODE_POINTS - 1).join('')}…`;
}

/**
 * `text` up to its last whitespace. Without any whitespace the text stays
 * whole: it is then far longer than what is quoted, so its end is never shown.
 */
function withoutLastWord(text: string): string {
  for (let index = text.length - 1; index >= 0; index--) {
    if (/\s/.test(text[index])) return text.slice(0, index);
  }
  return text;
}

/**
 * One alternation of every form of every secret, longest first, so a single
 * pass replaces them all (a later secret cannot match inside `[redacted]`).
 */
function secretsPattern(secrets: readonly string[]): RegExp | undefined {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    forms.add(secret);
    // encodeURIComponent throws on a lone surrogate; encoders send U+FFFD for it.
    const wellFormed = secret.replace(LONE_SURROGATES, '\ufffd');
    forms.add(encodeURIComponent(wellFormed));
    forms.add(new URLSearchParams({ s: wellFormed }).toString().slice(2));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  if (forms.size === 0) return undefined;
  const alternatives = [...forms]
    .sort((a, b) => b.length - a.length)
    .map((form) => form.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(alternatives.join('|'), 'gi');
}
