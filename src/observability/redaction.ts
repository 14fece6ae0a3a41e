import { stdSerializers } from 'pino';
import { JWT_IN_TEXT, replaceDottedTokens } from '../common/dotted-tokens.js';
import { utf8Prefix } from '../common/utf8-prefix.js';

/** What every redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Spec §7: no credential or token ever reaches a log line. Keys whose value is
 * always a secret, wherever they appear in a logged object.
 */
const SECRET_KEYS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'password',
  'passwd',
  'pass',
  'token',
  'access_token',
  'refresh_token',
  'jwt',
  'secret',
  'jwt_secret',
  'credentials',
  'relaycontext',
]);

/**
 * pino's own path-based redaction for the same keys at the depths loggers use
 * them (fast, and it documents the intent). `scrubValue` below is the second
 * line of defence for anything deeper or inside free text.
 */
export const REDACT_PATHS = [...SECRET_KEYS].flatMap((key) => {
  const path = /^[a-z_]+$/.test(key) ? key : `["${key}"]`;
  const nested = path.startsWith('[') ? `*${path}` : `*.${path}`;
  return [path, nested];
});

/**
 * Secrets inside free text besides JWTs (relay tokens, Qualys tokens, found
 * by `JWT_IN_TEXT`): auth headers, form fields. Linear: each begins at a
 * keyword and its quantifiers cannot overlap (spec §15).
 */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  [/\b(password|passwd|pass|token|secret|jwt)=[^&\s"',;]+/gi, `$1=${REDACTED}`],
];

export function scrubString(text: string): string {
  let scrubbed = replaceDottedTokens(text, JWT_IN_TEXT, REDACTED);
  for (const [pattern, replacement] of SECRET_PATTERNS)
    scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
}

/** Spec §15: a logged path is read up to its first 1 KiB. */
export const MAX_LOGGED_PATH_BYTES = 1024;

/**
 * A request path for a log line: scrubbed, and cut to its first
 * `MAX_LOGGED_PATH_BYTES` before that. A cut path also loses its last,
 * partial segment (the start of a token cut short is no longer token-shaped:
 * a JWT's header and payload would pass the scrubber) and ends with `…`.
 */
export function loggedPath(path: string): string {
  const prefix = utf8Prefix(path, MAX_LOGGED_PATH_BYTES);
  if (prefix.length === path.length) return scrubString(path);
  return `${scrubString(prefix.slice(0, prefix.lastIndexOf('/') + 1))}…`;
}

const MAX_DEPTH = 8;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/**
 * A copy of `value` with secret keys redacted and secret-looking text
 * scrubbed, through plain objects and arrays. Other objects (errors, requests)
 * are left to their serializers.
 */
export function scrubValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth + 1));
  if (!isPlainObject(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    copy[key] = SECRET_KEYS.has(key.toLowerCase()) ? REDACTED : scrubValue(item, depth + 1);
  }
  return copy;
}

interface SerializedError {
  type: string;
  message: string;
  stack?: string;
  code?: string;
}

/**
 * Errors are logged by name, message, code and stack only: never an Axios
 * error's `config` (it carries the Qualys `Authorization` header) or response.
 */
export function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return scrubValue(error);
  const standard = stdSerializers.err(error);
  const serialized: SerializedError = {
    type: standard.type,
    message: scrubString(standard.message),
  };
  if (typeof standard.stack === 'string') serialized.stack = scrubString(standard.stack);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') serialized.code = code;
  return serialized;
}
