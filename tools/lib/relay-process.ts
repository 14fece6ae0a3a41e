/**
 * `node dist/main.js` as a process of its own, for the end-to-end specs (a
 * private build's dist/) and the benchmarks (this checkout's, or another
 * build's): a clean environment, loopback, and a promise that resolves once
 * it serves.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { postJson } from './http-client.js';

const OUTPUT_TAIL_BYTES = 16 * 1024;

export interface RelayProcess {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Every JSON line of its stdout so far (non-JSON lines as `{ msg }`), unless `keepLogs` is false. */
  readonly logs: Record<string, unknown>[];
  /** How the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last few KiB of its stdout and stderr (when piped), for error reports. */
  output(): string;
  /** SIGKILL unless it already ended, then wait for the end. */
  kill(): Promise<void>;
}

export interface RelayProcessOptions {
  /** The folder holding `dist/` (and package.json): the process's working directory. */
  cwd: string;
  /** Entry point, relative to `cwd` or absolute; default `dist/main.js`. */
  main?: string;
  /**
   * Its whole environment with PATH and HOST=127.0.0.1: nothing else of this
   * process's (NODE_EXTRA_CA_CERTS, say, must not leak in). With a PORT, it is
   * ready when `POST /version` answers there; without one it listens on an
   * ephemeral port and is ready when it logs so (LOG_LEVEL info or lower).
   */
  env: Record<string, string>;
  name?: string;
  /** Sees each line the relay writes to stdout (its pino log). */
  onLogLine?: (line: string) => void;
  /** Keep every log line in `logs` (default true; a long benchmark run says false). */
  keepLogs?: boolean;
  /** `inherit` shows the relay's stderr in the caller's; default `pipe` (kept in `output()`). */
  stderr?: 'inherit' | 'pipe';
  /** Default 30 s. */
  timeoutMs?: number;
}

export async function startRelayProcess(options: RelayProcessOptions): Promise<RelayProcess> {
  const name = options.name ?? 'relay';
  const child = spawn(process.execPath, [options.main ?? 'dist/main.js'], {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', options.stderr ?? 'pipe'],
  });
  // A command that cannot start emits 'error' after this returns: never an uncaught one.
  child.once('error', () => undefined);
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const pid = child.pid;
  const logs: Record<string, unknown>[] = [];
  let tail = '';
  let partial = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_BYTES);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    keep(chunk);
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      options.onLogLine?.(line);
      if (options.keepLogs === false) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const gone = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const kill = async (): Promise<void> => {
    if (!gone()) child.kill('SIGKILL');
    await exited;
  };

  const port = options.env.PORT;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let url: string | undefined;
  try {
    while (url === undefined) {
      if (gone()) throw new Error(`${name} exited (${String(child.exitCode)}) while starting`);
      if (Date.now() > deadline) throw new Error(`${name} start timed out`);
      if (port !== undefined && port !== '0') {
        if (await answersVersion(`http://127.0.0.1:${port}`)) url = `http://127.0.0.1:${port}`;
        else await sleep(100);
      } else {
        const listening = logs.find((line) => line.msg === 'Qualys IOC relay listening');
        if (listening !== undefined) url = `http://127.0.0.1:${String(listening.port)}`;
        else await sleep(20);
      }
    }
  } catch (error) {
    await kill();
    throw new Error(`${(error as Error).message}:\n${tail}`, { cause: error });
  }
  return { name, process: child, pid, url, logs, exited, output: () => tail, kill };
}

async function answersVersion(url: string): Promise<boolean> {
  try {
    return (await postJson(url, '/version', undefined, { timeoutMs: 5_000 })).status === 200;
  } catch {
    return false; // not listening yet
  }
}
