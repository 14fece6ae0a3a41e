import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { validateObserveResponse } from './support/ctim-validator.js';
import { compilePrivateBuild, type PrivateBuild } from './support/private-build.js';

/** The `curl` commands the demo printed, each joined back into one line. */
function curlCommands(output: string): string[] {
  return output
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('curl '));
}

/**
 * Issue #2: `npm run demo` prints a JWT and curl commands that work. This runs
 * the demo's entry point as a real process and pastes its commands into a
 * shell, as a new user would.
 */
describe('the demo (npm run demo)', () => {
  let build: PrivateBuild;
  let demo: ChildProcess;
  let output = '';
  let exited: Promise<number | null>;

  beforeAll(async () => {
    build = await compilePrivateBuild('relay-demo-', { tools: true });
    demo = spawn(process.execPath, ['build/tools/demo/demo.js'], {
      cwd: build.dir,
      env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    exited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (curlCommands(output).length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 120_000);

  afterAll(async () => {
    if (demo.exitCode === null) demo.kill('SIGKILL');
    await exited;
    build.remove();
  });

  const run = async (command: string): Promise<unknown> => {
    const { stdout } = await promisify(execFile)('bash', ['-c', command]);
    return JSON.parse(stdout) as unknown;
  };

  it('prints the relay URL, a JWT and four curl commands', () => {
    expect(output).toMatch(/relay: {11}http:\/\/127\.0\.0\.1:\d+\n/);
    expect(output).toMatch(/\neyJ[\w-]+\.eyJ[\w-]+\.[\w-]+\n/);
    expect(curlCommands(output).map((command) => command.match(/:\d+(\/[a-z/]+) /)?.[1])).toEqual([
      '/health',
      '/observe/observables',
      '/refer/observables',
      '/deliberate/observables',
    ]);
  });

  it('its /health command answers ok', async () => {
    expect(await run(curlCommands(output)[0])).toEqual({ data: { status: 'ok' } });
  });

  it('its /observe/observables command answers valid CTIM from the simulator', async () => {
    const body = (await run(curlCommands(output)[1])) as {
      data: Record<string, { count: number }>;
    };
    expect(validateObserveResponse(body)).toEqual([]);
    expect(Object.keys(body.data)).toEqual([
      'sightings',
      'indicators',
      'judgements',
      'relationships',
      'verdicts',
    ]);
    expect(body.data.sightings.count).toBeGreaterThan(0);
  });

  it('its /deliberate/observables command answers the verdict on the file hash', async () => {
    const body = (await run(curlCommands(output)[3])) as {
      data: { verdicts: { count: number; docs: Record<string, unknown>[] } };
    };
    expect(validateObserveResponse(body)).toEqual([]);
    expect(body.data.verdicts.docs.map((doc) => [doc.observable, doc.disposition_name])).toEqual([
      [{ type: 'sha256', value: SIMULATOR_VALUES.sha256 }, 'Malicious'],
    ]);
  });

  it('its /refer/observables command answers one link per observable', async () => {
    const body = (await run(curlCommands(output)[2])) as { data: { title: string }[] };
    expect(body.data.map((link) => link.title)).toEqual([
      'Search for this SHA256',
      'Search for this domain',
    ]);
  });

  it('stops both servers cleanly on Ctrl-C', async () => {
    demo.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toContain('Stopping the relay and the simulator…');
  });
});
