import { parseArgs } from 'node:util';
import {
  checkQualysUrl,
  QualysUrlProblem,
  type QualysUrlPolicy,
} from '../common/qualys-url-policy.js';
import { DEFAULT_QUALYS_HOSTS } from '../config/relay-config.js';
import type { RelayTokenClaims } from './relay-token.js';

export const JWT_CLI_USAGE =
  'usage: JWT_SECRET=… [QUALYS_PASSWORD=…] npm run -s jwt -- --user U [--api-url URL] [--platform-url URL] [--limit N] [--expires-in 30d]\n' +
  '       the Qualys password comes from QUALYS_PASSWORD, else from a hidden prompt';

export const JWT_CLI_HELP = `${JWT_CLI_USAGE}

Mints a relay JWT for a self-hosted relay (AUTH_MODE=secret), signed with the
relay's JWT_SECRET. The token alone goes to stdout (use npm run -s so that
npm's banner does not); prompts and warnings go to stderr.
  --user U            the Qualys API user (required)
  --api-url URL       the Qualys gateway URL, e.g. https://gateway.qg2.apps.qualys.com
  --platform-url URL  the Qualys console URL, e.g. https://qualysguard.qg2.apps.qualys.com
  --limit N           CTR_ENTITIES_LIMIT: entities per observable (the relay lowers it to its maximum)
  --expires-in SPAN   lifetime, e.g. 365d or 12h (without it the token never expires)
  --help              print this help
Environment: JWT_SECRET (required, at least 32 characters), QUALYS_PASSWORD,
and the relay's QUALYS_HOST_ALLOWLIST / QUALYS_ALLOW_INSECURE, which decide,
as they do in the relay, which URLs a token may carry. A .env file in the
working directory is read.`;

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
  kind: 'mint';
  secret: string;
  /** The claims except `pass`. */
  claims: Omit<RelayTokenClaims, 'pass'>;
  /** From `QUALYS_PASSWORD`; absent means: ask on the terminal. */
  password?: string;
  expiresIn?: string;
  /** What to tell the user on stderr before minting. */
  warnings: string[];
}

export type JwtCommand = { kind: 'help'; text: string } | JwtRequest;

/**
 * The relay's own URL policy, read from the same variables the relay reads, so
 * that the CLI never mints a token the relay would refuse on every request.
 */
function urlPolicy(env: Record<string, string | undefined>): QualysUrlPolicy {
  const listed = (env.QUALYS_HOST_ALLOWLIST ?? '')
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
  const insecure = env.QUALYS_ALLOW_INSECURE?.trim().toLowerCase() ?? '';
  if (!['', 'true', '1', 'false', '0'].includes(insecure)) {
    throw new JwtCliError('QUALYS_ALLOW_INSECURE must be true or false.');
  }
  return {
    hostAllowlist: listed.length > 0 ? listed : DEFAULT_QUALYS_HOSTS,
    allowInsecure: insecure === 'true' || insecure === '1',
  };
}

/** Why the relay would refuse the URL, and what would make it accept it. */
function urlHint(reason: string, policy: QualysUrlPolicy): string {
  switch (reason) {
    case QualysUrlProblem.HTTPS_ONLY:
    case QualysUrlProblem.PRIVATE_ADDRESS:
      return 'http:// and loopback or private addresses are accepted only where the relay runs with QUALYS_ALLOW_INSECURE=true (the demo and tests); set it here too for such a relay.';
    case QualysUrlProblem.HOST_NOT_ALLOWED:
      return `the relay accepts hosts matching QUALYS_HOST_ALLOWLIST (${policy.hostAllowlist.join(', ')}); if the relay's list differs, set QUALYS_HOST_ALLOWLIST here to the same value.`;
    default:
      return 'give the base URL of the Qualys platform, e.g. https://gateway.qg2.apps.qualys.com.';
  }
}

function checkedUrl(option: string, raw: string, policy: QualysUrlPolicy): string {
  const checked = checkQualysUrl(raw, policy);
  if (checked.ok) return checked.url;
  throw new JwtCliError(
    `${option} ${checked.reason}: the relay would refuse every request with this token; ${urlHint(checked.reason, policy)}`,
  );
}

/**
 * Reads the JWT CLI's arguments. The secret and the Qualys password come from
 * the environment (or a hidden prompt), never from argv: argv is visible to
 * every user of the machine through `ps`, and lands in shell history.
 */
export function parseJwtArgs(argv: string[], env: Record<string, string | undefined>): JwtCommand {
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
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new JwtCliError((error as Error).message);
  }
  if (values.help === true) return { kind: 'help', text: JWT_CLI_HELP };
  const secret = env.JWT_SECRET;
  if (!secret || secret.length < 32)
    throw new JwtCliError('JWT_SECRET must be set (at least 32 characters).');
  if (!values.user) throw new JwtCliError('--user is required.');

  const claims: Omit<RelayTokenClaims, 'pass'> = { user: values.user };
  const apiUrl = values['api-url'];
  const platformUrl = values['platform-url'];
  if (apiUrl !== undefined || platformUrl !== undefined) {
    const policy = urlPolicy(env);
    if (apiUrl !== undefined) claims.API_URL = checkedUrl('--api-url', apiUrl, policy);
    if (platformUrl !== undefined) {
      claims.PLATFORM_URL = checkedUrl('--platform-url', platformUrl, policy);
    }
  }
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
    kind: 'mint',
    secret,
    claims,
    ...(password ? { password } : {}),
    ...(expiresIn === undefined ? {} : { expiresIn }),
    warnings: expiresIn === undefined ? [NEVER_EXPIRES_WARNING] : [],
  };
}
