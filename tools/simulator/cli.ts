import type { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
  type SimulatorOptions,
} from './qualys-simulator.js';

export const CLI_USAGE = `Usage: npm run simulator -- [options]
  --host <address>      listen address (default 127.0.0.1)
  --port <n>            listen port (default 8081; 0 picks a free one)
  --latency <ms>        delay before every answer (default 0)
  --fault-rate <0..1>   share of searches answering a random 429/503/500 (default 0)
  --seed <n>            seed of the random faults (default 1)
  --allow-remote        allow a non-loopback --host (the admin API stays loopback-only)
  --help                print this help`;

export const DEFAULT_CLI_PORT = 8081;

export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}

export interface CliCommand {
  help: boolean;
  options: SimulatorOptions & { host: string; port: number };
  allowRemote: boolean;
}

function readArgs(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        latency: { type: 'string' },
        'fault-rate': { type: 'string' },
        seed: { type: 'string' },
        'allow-remote': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (error) {
    throw new CliUsageError((error as Error).message);
  }
}

export function parseCliArgs(argv: readonly string[]): CliCommand {
  const args = readArgs(argv);
  // Defaults applied here: this @types/node version does not narrow parseArgs defaults.
  const values = {
    host: args.host ?? '127.0.0.1',
    port: args.port ?? String(DEFAULT_CLI_PORT),
    latency: args.latency ?? '0',
    'fault-rate': args['fault-rate'] ?? '0',
    seed: args.seed ?? '1',
    'allow-remote': args['allow-remote'] ?? false,
    help: args.help ?? false,
  };
  if (values.help) {
    return {
      help: true,
      options: { host: values.host, port: DEFAULT_CLI_PORT },
      allowRemote: false,
    };
  }
  const port = integer(values.port, '--port', 0, 65535);
  const latencyMs = integer(values.latency, '--latency', 0, Number.MAX_SAFE_INTEGER);
  const seed = integer(values.seed, '--seed', -(2 ** 31), 2 ** 32 - 1);
  const randomFaultRate = Number(values['fault-rate']);
  if (values['fault-rate'].trim() === '' || !(randomFaultRate >= 0 && randomFaultRate <= 1)) {
    throw new CliUsageError('--fault-rate must be a number from 0 to 1');
  }
  const allowRemote = values['allow-remote'];
  // The simulator has unauthenticated admin routes and a public password: keep it off the network.
  if (!allowRemote && !isLoopbackHost(values.host)) {
    throw new CliUsageError(
      `refusing to listen on non-loopback host ${values.host}; pass --allow-remote to do it anyway`,
    );
  }
  return {
    help: false,
    options: { host: values.host, port, latencyMs, randomFaultRate, seed },
    allowRemote,
  };
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function integer(text: string, name: string, min: number, max: number): number {
  const value = /^-?[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new CliUsageError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export interface CliIo {
  /** Receives whole lines without the newline. */
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where SIGINT/SIGTERM come from; `process` in production, a plain emitter in tests. */
  signals: EventEmitter;
}

export interface RunningCli {
  simulator: QualysSimulator | undefined;
  /** Resolves with the exit code once the simulator has closed (or never started). */
  finished: Promise<number>;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signals: process,
};

export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<RunningCli> {
  let command: CliCommand;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    io.err(`error: ${error.message}`);
    io.err(CLI_USAGE);
    return { simulator: undefined, finished: Promise.resolve(2) };
  }
  if (command.help) {
    io.out(CLI_USAGE);
    return { simulator: undefined, finished: Promise.resolve(0) };
  }
  if (command.allowRemote && !isLoopbackHost(command.options.host)) {
    io.err('warning: the simulator is reachable from other hosts and its password is public');
  }
  const simulator = await startQualysSimulator(command.options);
  const finished = new Promise<number>((resolve, reject) => {
    const stop = (): void => {
      io.signals.off('SIGINT', stop);
      io.signals.off('SIGTERM', stop);
      simulator.close().then(
        () => resolve(0),
        (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
      );
    };
    io.signals.on('SIGINT', stop);
    io.signals.on('SIGTERM', stop);
  });
  // One JSON line, so scripts (demo, bench) can wait for it and read the URL.
  io.out(
    JSON.stringify({
      simulator: 'ready',
      url: simulator.url,
      user: SIMULATOR_USER,
      password: SIMULATOR_PASSWORD,
    }),
  );
  return { simulator, finished };
}
