import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';

/**
 * The `.env` syntax of the service and the CLIs alike: Node's own parser
 * (the one `node --env-file` uses), given to `ConfigModule` as its `parser`
 * so that one file means the same thing to `npm start` and `npm run jwt`.
 */
export function parseEnvFile(content: Buffer): Record<string, string> {
  return parseEnv(content.toString('utf8')) as Record<string, string>;
}

/**
 * Reads `.env` from the working directory into `process.env` for the CLIs
 * (`npm run jwt`, `npm run module`). They are plain scripts, not Nest
 * applications, so `ConfigModule` (which loads `.env` for the service) has no
 * place there; the parser and the rule are the same: variables already set
 * win. In Kubernetes the variables come from the pod spec and there is no
 * such file.
 */
export function loadLocalEnvFile(path = '.env'): void {
  if (!existsSync(path)) return;
  for (const [name, value] of Object.entries(parseEnvFile(readFileSync(path)))) {
    if (process.env[name] === undefined) process.env[name] = value;
  }
}
