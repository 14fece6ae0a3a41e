import { stdSerializers } from 'pino';

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

/** Patterns of secrets inside free text: JWTs (relay tokens, Qualys tokens), auth headers, form fields. */
const SECRET_PATTERNS: [RegExp, string][] = [
  [/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, REDACTED],
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  [/\b(password|passwd|pass|token|secret|jwt)=[^&\s"',;]+/gi, `$1=${REDACTED}`],
];

export function scrubString(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of SECRET_PATTERNS)
    scrubbed = scrubbed.replace(pattern, replacement);
  return scrubbed;
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
