import { parseArgs } from 'node:util';
import { isLoopbackHost, processIo, runSimulatorCli, type CliIo } from '../lib/simulator-server.js';
import {
  startTrSimulator,
  TR_SIMULATOR_CLIENT_ID,
  TR_SIMULATOR_CLIENT_PASSWORD,
  type TrSimulator,
} from './tr-simulator.js';

export const TR_CLI_USAGE = `Usage: npm run tr-simulator -- [options]
A local Threat Response API (OAuth2 client credentials, module instances and
module types) to try "npm run module" against. Loopback only.
  --host <address>           listen address (default 127.0.0.1)
  --port <n>                 listen port (default 8082; 0 picks a free one)
  --client-id <id>           the API client it accepts (default ${TR_SIMULATOR_CLIENT_ID})
  --client-password <pass>   its password (default: the printed demo password)
  --help                     print this help`;

export const DEFAULT_TR_PORT = 8082;

export class TrCliUsageError extends Error {
  override readonly name = 'TrCliUsageError';
}

export interface TrCliCommand {
  help: boolean;
  host: string;
  port: number;
  clientId: string;
  clientPassword: string;
}

export function parseTrCliArgs(argv: readonly string[]): TrCliCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'client-id': { type: 'string' },
        'client-password': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new TrCliUsageError((error as Error).message);
  }
  const command: TrCliCommand = {
    help: values.help ?? false,
    host: values.host ?? '127.0.0.1',
    port: DEFAULT_TR_PORT,
    clientId: values['client-id'] ?? TR_SIMULATOR_CLIENT_ID,
    clientPassword: values['client-password'] ?? TR_SIMULATOR_CLIENT_PASSWORD,
  };
  if (command.help) return command;
  const port = values.port ?? String(DEFAULT_TR_PORT);
  command.port = /^\d+$/.test(port) ? Number(port) : Number.NaN;
  if (!(command.port >= 0 && command.port <= 65535)) {
    throw new TrCliUsageError('--port must be an integer from 0 to 65535');
  }
  // Its credentials are public and it answers anyone: keep it off the network.
  if (!isLoopbackHost(command.host)) {
    throw new TrCliUsageError(`refusing to listen on non-loopback host ${command.host}`);
  }
  if (command.clientId === '' || command.clientId.includes(':')) {
    throw new TrCliUsageError('--client-id must be non-empty and hold no ":"');
  }
  if (command.clientPassword === '')
    throw new TrCliUsageError('--client-password must not be empty');
  return command;
}

export interface RunningTrCli {
  simulator: TrSimulator | undefined;
  /** Resolves with the exit code once the simulator has closed (or never started). */
  finished: Promise<number>;
}

/** A value pasted into a POSIX shell as one word. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Like the demo: without an explicit --port, a busy default port gives way to a free one. */
async function startOnFreePortIfBusy(
  command: TrCliCommand,
  argv: readonly string[],
  io: CliIo,
): Promise<TrSimulator> {
  try {
    return await startTrSimulator(command);
  } catch (error) {
    const portGiven = argv.some((arg) => arg === '--port' || arg.startsWith('--port='));
    if ((error as { code?: string }).code !== 'EADDRINUSE' || portGiven) throw error;
    io.err(`Port ${command.port} is busy; using a free one instead.`);
    return startTrSimulator({ ...command, port: 0 });
  }
}

export async function runTrCli(
  argv: readonly string[],
  io: CliIo = processIo,
): Promise<RunningTrCli> {
  const { running, finished } = await runSimulatorCli(
    {
      parse: parseTrCliArgs,
      isUsageError: (error) => error instanceof TrCliUsageError,
      usage: TR_CLI_USAGE,
      start: (command: TrCliCommand) => startOnFreePortIfBusy(command, argv, io),
      announce: (simulator, command) => [
        `Threat Response API simulator: ${simulator.url} (Ctrl-C to stop)`,
        'Its demo API client (public credentials, for this simulator only), ready to paste:',
        `export TR_API_URL=${shellQuote(simulator.url)}`,
        `export TR_API_CLIENT_ID=${shellQuote(command.clientId)}`,
        `export TR_API_CLIENT_PASSWORD=${shellQuote(command.clientPassword)}`,
      ],
    },
    argv,
    io,
  );
  return { simulator: running, finished };
}
