import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** `node dist/main.js` of a private build, running as its own process. */
export interface RelayProcess {
  readonly process: ChildProcess;
  /** `http://127.0.0.1:PORT`, from the relay's own "listening" log line. */
  readonly url: string;
  /** Every JSON log line so far (non-JSON lines as `{ msg }`). */
  readonly logs: Record<string, unknown>[];
  /** How the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL unless it already ended, then wait for the end. */
  kill(): Promise<void>;
}

export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts the relay of `buildDir` (see private-build.ts) with exactly `env`
 * plus PATH — nothing else of the test process's environment, whose
 * NODE_EXTRA_CA_CERTS, say, must not leak in — and waits until it listens
 * on an ephemeral loopback port.
 */
export async function spawnRelay(
  buildDir: string,
  env: Record<string, string>,
): Promise<RelayProcess> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: buildDir,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      logs.push({ msg: line });
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const listening = () => logs.find((line) => line.msg === 'Qualys IOC relay listening');
  await until(
    () => listening() !== undefined || child.exitCode !== null,
    'the relay to listen',
    30_000,
  );
  if (listening() === undefined) throw new Error(`the relay exited with ${String(child.exitCode)}`);
  return {
    process: child,
    url: `http://127.0.0.1:${String(listening()?.port)}`,
    logs,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
