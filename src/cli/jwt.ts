/**
 * Mints a relay JWT for a self-hosted (AUTH_MODE=secret) deployment:
 *
 *   JWT_SECRET=… [QUALYS_PASSWORD=…] npm run -s jwt -- --user U [--api-url URL]
 *     [--platform-url URL] [--limit N] [--expires-in 30d]
 *   npm run jwt -- --help
 *
 * The Qualys password comes from QUALYS_PASSWORD or, when stdin is a
 * terminal, from a hidden prompt; never from an argument. The token goes to
 * stdout alone, so it can be piped; prompts and warnings go to stderr. URLs
 * are checked with the relay's own policy (spec §3), so a token the relay
 * would refuse is never minted.
 */
import { loadLocalEnvFile } from '../config/local-env-file.js';
import { PromptCancelledError, readHidden } from './hidden-prompt.js';
import { JWT_CLI_USAGE, JwtCliError, parseJwtArgs } from './jwt-args.js';
import { mintRelayToken } from './relay-token.js';

async function qualysPassword(fromEnv: string | undefined): Promise<string> {
  if (fromEnv !== undefined) return fromEnv;
  try {
    const password = await readHidden('Qualys password: ', process.stdin, process.stderr);
    if (password === '') throw new JwtCliError('The Qualys password must not be empty.');
    return password;
  } catch (error) {
    if (!(error instanceof PromptCancelledError)) throw error;
    throw new JwtCliError(
      error.reason === 'no terminal'
        ? 'QUALYS_PASSWORD is not set, and stdin is not a terminal to ask for the password.'
        : 'Cancelled: no token minted.',
    );
  }
}

async function main(): Promise<void> {
  loadLocalEnvFile();
  try {
    const request = parseJwtArgs(process.argv.slice(2), process.env);
    if (request.kind === 'help') {
      process.stdout.write(`${request.text}\n`);
      return;
    }
    const pass = await qualysPassword(request.password);
    for (const warning of request.warnings) process.stderr.write(`${warning}\n`);
    const claims = { ...request.claims, pass };
    process.stdout.write(`${await mintRelayToken(request.secret, claims, request.expiresIn)}\n`);
  } catch (error) {
    if (!(error instanceof JwtCliError)) throw error;
    process.stderr.write(`${error.message}\n${JWT_CLI_USAGE}\n`);
    process.exitCode = 2;
  }
}

void main();
