/**
 * Mints a relay JWT for a self-hosted (AUTH_MODE=secret) deployment:
 *
 *   JWT_SECRET=… npm run jwt -- --user U --pass P [--api-url URL]
 *     [--platform-url URL] [--limit N] [--expires-in 30d]
 *
 * The token goes to stdout alone, so it can be piped.
 */
import { loadLocalEnvFile } from '../config/local-env-file.js';
import { JWT_CLI_USAGE, JwtCliError, parseJwtArgs } from './jwt-args.js';
import { mintRelayToken } from './relay-token.js';

async function main(): Promise<void> {
  loadLocalEnvFile();
  try {
    const { secret, claims, expiresIn } = parseJwtArgs(process.argv.slice(2), process.env);
    process.stdout.write(`${await mintRelayToken(secret, claims, expiresIn)}\n`);
  } catch (error) {
    if (!(error instanceof JwtCliError)) throw error;
    process.stderr.write(`${error.message}\n${JWT_CLI_USAGE}\n`);
    process.exitCode = 2;
  }
}

void main();
