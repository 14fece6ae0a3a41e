/**
 * Mints a relay JWT for a self-hosted (AUTH_MODE=secret) deployment:
 *
 *   JWT_SECRET=… npm run jwt -- --user U --pass P [--api-url URL]
 *     [--platform-url URL] [--limit N] [--expires-in 30d]
 *
 * The token goes to stdout alone, so it can be piped; nothing else is printed
 * there. The secret comes from the environment only, never from argv (argv
 * is visible to every user of the machine through `ps`).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mintRelayToken, type RelayTokenClaims } from './relay-token.js';

const USAGE =
  'usage: JWT_SECRET=… npm run jwt -- --user U --pass P [--api-url URL] [--platform-url URL] [--limit N] [--expires-in 30d]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { loadEnvFile } = process as { loadEnvFile?: (path: string) => void };
  if (existsSync('.env') && loadEnvFile) loadEnvFile('.env');
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        user: { type: 'string' },
        pass: { type: 'string' },
        'api-url': { type: 'string' },
        'platform-url': { type: 'string' },
        limit: { type: 'string' },
        'expires-in': { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  const secret = process.env.JWT_SECRET;
  if (!secret || secret.length < 32) fail('JWT_SECRET must be set (at least 32 characters).');
  if (!values.user || !values.pass) fail('--user and --pass are required.');

  const claims: RelayTokenClaims = { user: values.user, pass: values.pass };
  if (values['api-url']) claims.API_URL = values['api-url'];
  if (values['platform-url']) claims.PLATFORM_URL = values['platform-url'];
  if (values.limit !== undefined) {
    if (!/^[1-9]\d*$/.test(values.limit)) fail('--limit must be a positive integer.');
    claims.CTR_ENTITIES_LIMIT = Number(values.limit);
  }
  process.stdout.write(`${await mintRelayToken(secret, claims, values['expires-in'])}\n`);
}

void main();
