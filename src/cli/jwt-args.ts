import { parseArgs } from 'node:util';
import type { RelayTokenClaims } from './relay-token.js';

export const JWT_CLI_USAGE =
  'usage: JWT_SECRET=… npm run jwt -- --user U --pass P [--api-url URL] [--platform-url URL] [--limit N] [--expires-in 30d]';

/** A usage problem; the message says which. */
export class JwtCliError extends Error {
  override readonly name = 'JwtCliError';
}

export interface JwtRequest {
  secret: string;
  claims: RelayTokenClaims;
  expiresIn?: string;
}

/**
 * Reads the JWT CLI's arguments. The secret comes from the environment only,
 * never from argv: argv is visible to every user of the machine through `ps`.
 */
export function parseJwtArgs(argv: string[], env: Record<string, string | undefined>): JwtRequest {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        user: { type: 'string' },
        pass: { type: 'string' },
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
  if (!values.user || !values.pass) throw new JwtCliError('--user and --pass are required.');

  const claims: RelayTokenClaims = { user: values.user, pass: values.pass };
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
  return { secret, claims, ...(expiresIn === undefined ? {} : { expiresIn }) };
}
