import { parseArgs } from 'node:util';
import { isLoopbackHost, processIo, runSimulatorCli, type CliIo } from '../lib/simulator-server.js';
import { SIMULATOR_EVENTS, UNATTRIBUTABLE_EVENTS } from './dataset.js';
import {
  SIMULATOR_PASSWORD,
  SIMULATOR_USER,
  startQualysSimulator,
  type QualysSimulator,
  type SimulatorOptions,
} from './qualys-simulator.js';
import {
  CONCURRENCY_HEADER_SPELLINGS,
  REFUSAL_STATUSES,
  type ConcurrencyHeaderSpelling,
  type RateLimit,
  type RefusalStatus,
} from './subscription-limits.js';

export const CLI_USAGE = `Usage: npm run simulator -- [options]
  --host <address>      listen address (default 127.0.0.1)
  --port <n>            listen port (default 8081; 0 picks a free one)
  --latency <ms>        delay before every answer (default 0)
  --fault-rate <0..1>   share of searches answering a random 429/503/500 (default 0)
  --seed <n>            seed of the random faults (default 1)
  --events-per-search <n>
                        every search answers n synthetic events (at most its page
                        size) instead of the data set's: full pages (default 0: off)
  --max-filter-length <n>
                        answer 400 to a search whose filter, percent-encoded (every
                        byte but letters, digits and -._~ as %XX), is longer than n
                        characters; also POST /__simulator/max-filter-length
                        {"length": n|null} (default: no bound)
  --contains-match      match file names, paths, domains and mutexes anywhere in the
                        event's value, as Qualys does (default: whole values only)
  --with-unattributable-events
                        add events whose hash sits only in a verdict's sha256 or in
                        upper case, and match hash filters in any case and through
                        indicator2[].sha256/.md5 too (the relay must search those
                        hashes alone)
  --allow-remote        allow a non-loopback --host (the admin API stays loopback-only)
  --help                print this help
Stats (GET /__simulator/stats): searchCalls counts every search; batchedSearchCalls
  those whose filter is a top-level "or" of two or more parenthesised groups,
  "(f1) or (f2) …": the relay's batched searches
Subscription limits (per user, searches only, /auth exempt; default: unlimited):
  --concurrency-limit <n>
                        refuse a search while the user has n searches running
  --rate-limit <calls/seconds>
                        refuse a search once the user made <calls> in the sliding
                        window of <seconds>, e.g. 300/3600
  --refusal-status <429|409>
                        status of a refusal (default 429; 409 is the classic API's)
  --concurrency-header-spelling <X-ConcurrencyLimit|X-Concurrency-Limit>
                        names of the concurrency headers (default X-ConcurrencyLimit)
  --no-rate-wait        answers with no rate budget left omit X-RateLimit-ToWait-Sec`;

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
        'events-per-search': { type: 'string' },
        'max-filter-length': { type: 'string' },
        'with-unattributable-events': { type: 'boolean' },
        'contains-match': { type: 'boolean' },
        'allow-remote': { type: 'boolean' },
        'concurrency-limit': { type: 'string' },
        'rate-limit': { type: 'string' },
        'refusal-status': { type: 'string' },
        'concurrency-header-spelling': { type: 'string' },
        'no-rate-wait': { type: 'boolean' },
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
  const eventsPerSearch = integer(
    args['events-per-search'] ?? '0',
    '--events-per-search',
    0,
    1_000_000,
  );
  const maxFilterLength =
    args['max-filter-length'] === undefined
      ? null
      : integer(args['max-filter-length'], '--max-filter-length', 1, Number.MAX_SAFE_INTEGER);
  const unattributable = args['with-unattributable-events'] ?? false;
  const randomFaultRate = Number(values['fault-rate']);
  if (values['fault-rate'].trim() === '' || !(randomFaultRate >= 0 && randomFaultRate <= 1)) {
    throw new CliUsageError('--fault-rate must be a number from 0 to 1');
  }
  const concurrencyLimit =
    args['concurrency-limit'] === undefined
      ? null
      : integer(args['concurrency-limit'], '--concurrency-limit', 1, Number.MAX_SAFE_INTEGER);
  const rateLimit = args['rate-limit'] === undefined ? null : parseRateLimit(args['rate-limit']);
  const refusalStatus = parseRefusalStatus(args['refusal-status'] ?? '429');
  const concurrencyHeaderSpelling = parseSpelling(
    args['concurrency-header-spelling'] ?? 'X-ConcurrencyLimit',
  );
  const rateRefusalWait = !(args['no-rate-wait'] ?? false);
  const allowRemote = values['allow-remote'];
  // The simulator has unauthenticated admin routes and a public password: keep it off the network.
  if (!allowRemote && !isLoopbackHost(values.host)) {
    throw new CliUsageError(
      `refusing to listen on non-loopback host ${values.host}; pass --allow-remote to do it anyway`,
    );
  }
  return {
    help: false,
    options: {
      host: values.host,
      port,
      latencyMs,
      randomFaultRate,
      seed,
      eventsPerSearch,
      maxFilterLength,
      ...(args['contains-match'] === true ? { containsMatch: true } : {}),
      ...(unattributable
        ? { events: [...SIMULATOR_EVENTS, ...UNATTRIBUTABLE_EVENTS], looseHashes: true }
        : {}),
      concurrencyLimit,
      rateLimit,
      refusalStatus,
      concurrencyHeaderSpelling,
      rateRefusalWait,
    },
    allowRemote,
  };
}

/** `<calls>/<seconds>`, both positive integers: `300/3600` is Qualys's documented default. */
function parseRateLimit(text: string): RateLimit {
  const match = /^([0-9]+)\/([0-9]+)$/.exec(text);
  const calls = Number(match?.[1]);
  const windowSec = Number(match?.[2]);
  if (!(
    Number.isSafeInteger(calls) &&
    calls > 0 &&
    Number.isSafeInteger(windowSec) &&
    windowSec > 0
  )) {
    throw new CliUsageError(
      '--rate-limit must be <calls>/<seconds> with positive integers, e.g. 300/3600',
    );
  }
  return { calls, windowSec };
}

function parseRefusalStatus(text: string): RefusalStatus {
  const status = REFUSAL_STATUSES.find((candidate) => String(candidate) === text);
  if (status === undefined) {
    throw new CliUsageError(`--refusal-status must be one of ${REFUSAL_STATUSES.join(', ')}`);
  }
  return status;
}

/** `X-ConcurrencyLimit` or `X-Concurrency-Limit` (the option's `-*` may be left out). */
function parseSpelling(text: string): ConcurrencyHeaderSpelling {
  const spelling = CONCURRENCY_HEADER_SPELLINGS.find(
    (candidate) => candidate === text || candidate === `${text}-*`,
  );
  if (spelling === undefined) {
    throw new CliUsageError(
      '--concurrency-header-spelling must be X-ConcurrencyLimit or X-Concurrency-Limit',
    );
  }
  return spelling;
}

function integer(text: string, name: string, min: number, max: number): number {
  const value = /^-?[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) {
    throw new CliUsageError(`${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

export interface RunningCli {
  simulator: QualysSimulator | undefined;
  /** Resolves with the exit code once the simulator has closed (or never started). */
  finished: Promise<number>;
}

export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<RunningCli> {
  const { running, finished } = await runSimulatorCli(
    {
      parse: parseCliArgs,
      isUsageError: (error) => error instanceof CliUsageError,
      usage: CLI_USAGE,
      start: (command: CliCommand) => {
        if (command.allowRemote && !isLoopbackHost(command.options.host)) {
          io.err('warning: the simulator is reachable from other hosts and its password is public');
        }
        return startQualysSimulator(command.options);
      },
      // One JSON line, so scripts (demo, bench) can wait for it and read the URL.
      announce: (simulator) => [
        JSON.stringify({
          simulator: 'ready',
          url: simulator.url,
          user: SIMULATOR_USER,
          password: SIMULATOR_PASSWORD,
        }),
      ],
    },
    argv,
    io,
  );
  return { simulator: running, finished };
}
