import { startRelayProcess, type RelayProcess } from '../../tools/lib/relay-process.js';

export type { RelayProcess };

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
 * on an ephemeral loopback port (PORT=0, LOG_LEVEL=info unless `env` says
 * otherwise). Its stderr shows in the test's.
 */
export function spawnRelay(buildDir: string, env: Record<string, string>): Promise<RelayProcess> {
  return startRelayProcess({
    cwd: buildDir,
    env: { PORT: '0', LOG_LEVEL: 'info', ...env },
    stderr: 'inherit',
  });
}
