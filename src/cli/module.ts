/**
 * Registers the relay with Threat Response / XDR (spec §10):
 *
 *   npm run module -- add|edit|apply|remove [--settings FILE] [--region R] [--dry-run]
 *   npm run module -- type print|create|update|delete --url URL [...]
 *
 * Exit status: 0 done, 1 refused or failed (one line on stderr), 2 usage.
 * Every printed line goes through the redactor: no secret the run handled
 * (client password, access token, relay JWT) can reach the terminal.
 */
import { loadLocalEnvFile } from '../config/local-env-file.js';
import { EgressDispatcher } from '../egress/egress-dispatcher.js';
import { parseEgressSettings } from '../config/egress-settings.js';
import { ModuleCliUsageError, parseModuleArgs } from './module/args.js';
import { CommandFailureError, runModuleCommand, type CliOutput } from './module/commands.js';
import { CredentialsError } from './module/credentials.js';
import { TrApiError } from './module/iroh-client.js';
import { Redactor } from './module/mask.js';
import { SettingsFileError } from './module/settings-file.js';

const EXPECTED_FAILURES = [CommandFailureError, TrApiError, SettingsFileError, CredentialsError];

async function main(): Promise<void> {
  loadLocalEnvFile();
  const redactor = new Redactor();
  const output: CliOutput = {
    out: (line) => process.stdout.write(`${redactor.redact(line)}\n`),
    err: (line) => process.stderr.write(`${redactor.redact(line)}\n`),
  };
  let dispatcher: EgressDispatcher | undefined;
  try {
    const command = parseModuleArgs(process.argv.slice(2), process.env);
    // Spec §11: the Threat Response API is reached through the egress proxy too.
    const problems: string[] = [];
    const egress = parseEgressSettings(process.env, problems);
    if (problems.length > 0)
      throw new CommandFailureError(`Invalid proxy configuration: ${problems.join('; ')}`);
    dispatcher = new EgressDispatcher(egress);
    await runModuleCommand(command, {
      output,
      env: process.env,
      terminal: { input: process.stdin, output: process.stderr },
      redactor,
      dispatcher,
    });
  } catch (error) {
    if (error instanceof ModuleCliUsageError) {
      output.err(error.message);
      output.err(error.usage);
      process.exitCode = 2;
      return;
    }
    if (EXPECTED_FAILURES.some((type) => error instanceof type)) {
      output.err((error as Error).message);
      process.exitCode = 1;
      return;
    }
    // A bug: say so on one line, without a stack that could quote a request.
    output.err(`Unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    await dispatcher?.close();
  }
}

void main();
