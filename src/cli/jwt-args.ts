import { parseArgs } from 'node:util';
import type { RelayTokenClaims } from './relay-token.js';

export const JWT_CLI_USAGE =
  'usage: JWT_SECRET=… [QUALYS_PASSWORD=…] npm run jwt -- --user U [--api-url URL] [--platform-url URL] [--limit N] [--expires-in 30d]\n' +
  '       the Qualys password comes from QUALYS_PASSWORD, else from a hidden prompt';

/** A usage problem; the message says which. */
export class JwtCliError extends Error {
  override readonly name = 'JwtCliError';
}

export const PASSWORD_ARGUMENT_REFUSED =
  '--pass is not accepted: a password on the command line is visible to every user of the ' +
  'machine in `ps` and stays in your shell history. Set QUALYS_PASSWORD, or leave it unset ' +
  'to be asked for the password (hidden) on the terminal.';

export const NEVER_EXPIRES_WARNING =
  'Warning: without --expires-in this token never expires: anyone who ever copies it can use ' +
  'these Qualys credentials through the relay until JWT_SECRET changes. Pass --expires-in ' +
  '(e.g. 365d) to bound its life.';

export interface JwtRequest {
  secret: string;
  /** The claims except `pass`. */
  claims: Omit<RelayTokenClaims, 'pass'>;
  /** From `QUALYS_PASSWORD`; absent means: ask on the terminal. */
  password?: string;
  expiresIn?: string;
  /** What to tell the user on stderr before minting. */
  warnings: string[];
}

/**
 * Reads the JWT CLI's arguments. The secret and the Qualys password come from
 * the environment (or a hidden prompt), never from argv: argv is visible to
 * every user of the machine through `ps`, and lands in shell history.
 */
export function parseJwtArgs(argv: string[], env: Record<string, string | undefined>): JwtRequest {
  // Before parseArgs, so the refusal says why instead of "Unknown option".
  if (argv.some((arg) => /^--pass(word)?(=|$)/.test(arg))) {
    throw new JwtCliError(PASSWORD_ARGUMENT_REFUSED);
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        user: { type: 'string' },
        'api-url': { type: 'string' },
        'platform-url': { type: 'string' },
        limit: { type: 'string' },
        'expires-in': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new JwtCliError((error as Error).message);
  }
  const secret = env.JWT_SECRET;
  if (!secret || secret.length < 32)
    throw new JwtCliError('JWT_SECRET must be set (at least 32 characters).');
  if (!values.user) throw new JwtCliError('--user is required.');

  const claims: Omit<RelayTokenClaims, 'pass'> = { user: values.user };
  if (values['api-url']) claims.API_URL = values['api-url'];
  if (values['platform-url']) claims.PLATFORM_URL = values['platform-url'];
  if (values.limit !== undefined) {
    if (!/^[1-9]\d*$/.test(values.limit))
      throw new JwtCliError('--limit must be a positive integer.');
    claims.CTR_ENTITIES_LIMIT = Number(values.limit);
  }
  const expiresIn = values['expires-in'];
  if (expiresIn !== undefined && !/^\d+\s*[a-z]+$/i.test(expiresIn)) {
    throw new JwtCliError('--expires-in must be a time span such as 30d or 12h.');
  }
  const password = env.QUALYS_PASSWORD;
  return {
    secret,
    claims,
    ...(password ? { password } : {}),
    ...(expiresIn === undefined ? {} : { expiresIn }),
    warnings: expiresIn === undefined ? [NEVER_EXPIRES_WARNING] : [],
  };
}
