/**
 * What both bundled simulators (Qualys IOC and Threat Response) share: the
 * server's lifecycle (listen on a host and port, close with every connection,
 * hanging ones included) and the CLI loop of their `npm run` entry points
 * (usage errors, --help, start, announce the address, run until SIGINT or
 * SIGTERM).
 */
import type { EventEmitter } from 'node:events';
import { Server as HttpsServer } from 'node:https';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** An HTTP(S) server that knows its connections, so `close()` never waits on an open request. */
export class SimulatorServer {
  private readonly sockets = new Set<Socket>();
  private closing: Promise<void> | undefined;
  private address = { url: '', port: 0 };

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Listens; rejects with the server's error (EADDRINUSE, …). */
  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not a TCP server');
    const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const scheme = this.server instanceof HttpsServer ? 'https' : 'http';
    this.address = { url: `${scheme}://${shown}:${address.port}`, port: address.port };
  }

  /** `http(s)://host:port` once listening. */
  get url(): string {
    return this.address.url;
  }

  get port(): number {
    return this.address.port;
  }

  /** Stops listening and ends every connection; the same promise on every call. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // server.close() alone waits for open requests: hanging ones would block it forever.
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }
}

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export interface CliIo {
  /** Receives whole lines without the newline. */
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where SIGINT/SIGTERM come from; `process` in production, a plain emitter in tests. */
  signals: EventEmitter;
}

export const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  signals: process,
};

/**
 * Resolves with exit code 0 once SIGINT or SIGTERM closed `server` (each
 * bundled simulator runs until Ctrl-C); rejects if closing fails.
 */
export function closeOnSignals(
  signals: CliIo['signals'],
  server: { close(): Promise<void> },
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const stop = (): void => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      server.close().then(
        () => resolve(0),
        (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))),
      );
    };
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
  });
}

export interface SimulatorCli<Command extends { help: boolean }, Running> {
  /** Parses argv; throws a usage error (see `isUsageError`) on a bad option. */
  parse(argv: readonly string[]): Command;
  isUsageError(error: unknown): boolean;
  usage: string;
  start(command: Command): Promise<Running>;
  /** The lines printed once it listens (its address, for people or scripts). */
  announce(running: Running, command: Command): string[];
}

/**
 * Parses `argv`, prints usage (exit 2) or help (exit 0), or starts the
 * simulator, prints its announcement and runs until a signal closes it.
 * `finished` resolves with the exit code.
 */
export async function runSimulatorCli<
  Command extends { help: boolean },
  Running extends { close(): Promise<void> },
>(
  cli: SimulatorCli<Command, Running>,
  argv: readonly string[],
  io: CliIo,
): Promise<{ running: Running | undefined; finished: Promise<number> }> {
  let command: Command;
  try {
    command = cli.parse(argv);
  } catch (error) {
    if (!cli.isUsageError(error)) throw error;
    io.err(`error: ${(error as Error).message}`);
    io.err(cli.usage);
    return { running: undefined, finished: Promise.resolve(2) };
  }
  if (command.help) {
    io.out(cli.usage);
    return { running: undefined, finished: Promise.resolve(0) };
  }
  const running = await cli.start(command);
  const finished = closeOnSignals(io.signals, running);
  for (const line of cli.announce(running, command)) io.out(line);
  return { running, finished };
}
