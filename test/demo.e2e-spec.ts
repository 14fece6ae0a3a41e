import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mintRelayToken } from '../src/cli/relay-token.js';
import { SIMULATOR_VALUES } from '../tools/simulator/dataset.js';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';
import { compilePrivateBuild, type PrivateBuild } from './support/private-build.js';

/** The `curl` commands the demo printed, each joined back into one line. */
function curlCommands(output: string): string[] {
  return output
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => line.startsWith('curl '));
}

/** The `export URL=… JWT=…` line the demo printed. */
function exportLine(output: string): string {
  return output.split('\n').find((line) => line.startsWith('export ')) ?? '';
}

interface Demo {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startDemo(build: PrivateBuild, env: Record<string, string> = {}): Demo {
  const child = spawn(process.execPath, ['build/tools/demo/demo.js'], {
    cwd: build.dir,
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { process: child, output: () => output, exited };
}

async function ready(demo: Demo): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (curlCommands(demo.output()).length < 4 && Date.now() < deadline) {
    if (demo.process.exitCode !== null) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stop(demo: Demo): Promise<void> {
  if (demo.process.exitCode === null) demo.process.kill('SIGKILL');
  await demo.exited;
}

/** Runs a command in bash after the demo's `export` line, as a user pastes both. */
async function paste(output: string, command: string): Promise<unknown> {
  const { stdout } = await promisify(execFile)('bash', ['-c', `${exportLine(output)}\n${command}`]);
  return JSON.parse(stdout) as unknown;
}

/**
 * `npm run demo` prints an `export URL=… JWT=…` line and curl commands that
 * work once it is pasted. This runs the demo's entry point as a real process
 * and pastes its lines into a shell, as a new user would.
 */
describe('the demo (npm run demo)', () => {
  let build: PrivateBuild;
  let demo: Demo;

  beforeAll(async () => {
    build = await compilePrivateBuild('relay-demo-', { tools: true });
    demo = startDemo(build);
    await ready(demo);
  }, 120_000);

  afterAll(async () => {
    await stop(demo);
    build.remove();
  });

  it('prints the relay URL, an export line with it and a JWT, and four curl commands', () => {
    const output = demo.output();
    const relay = /relay: {12}(http:\/\/127\.0\.0\.1:\d+)\n/.exec(output)?.[1];
    expect(relay).toBeDefined();
    expect(output).toContain('  JWT_SECRET:       generated for this run only\n');
    expect(exportLine(output)).toMatch(
      new RegExp(`^export URL=${relay} JWT=eyJ[\\w-]+\\.eyJ[\\w-]+\\.[\\w-]+$`),
    );
    expect(curlCommands(output).map((command) => /"\$URL(\/[a-z/]+)"/.exec(command)?.[1])).toEqual([
      '/health',
      '/observe/observables',
      '/refer/observables',
      '/deliberate/observables',
    ]);
  });

  it('its /health command answers ok', async () => {
    expect(await paste(demo.output(), curlCommands(demo.output())[0])).toEqual({
      data: { status: 'ok' },
    });
  });

  it('its /observe/observables command answers valid CTIM from the simulator', async () => {
    const body = (await paste(demo.output(), curlCommands(demo.output())[1])) as {
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
    const body = (await paste(demo.output(), curlCommands(demo.output())[3])) as {
      data: { verdicts: { count: number; docs: Record<string, unknown>[] } };
    };
    expect(validateObserveResponse(body)).toEqual([]);
    expect(body.data.verdicts.docs.map((doc) => [doc.observable, doc.disposition_name])).toEqual([
      [{ type: 'sha256', value: SIMULATOR_VALUES.sha256 }, 'Malicious'],
    ]);
  });

  it('its /refer/observables command answers one link per observable', async () => {
    const body = (await paste(demo.output(), curlCommands(demo.output())[2])) as {
      data: { title: string }[];
    };
    expect(body.data.map((link) => link.title)).toEqual([
      'Search for this SHA256',
      'Search for this domain',
    ]);
  });

  it('stops both servers cleanly on Ctrl-C', async () => {
    demo.process.kill('SIGINT');
    expect(await demo.exited).toBe(0);
    expect(demo.output()).toContain('Stopping the relay and the simulator…');
  });

  describe('with JWT_SECRET in the environment', () => {
    const secret = 'demo-e2e-secret-0123456789abcdefghijkl';

    it('signs with it, so a token minted elsewhere with that secret works', async () => {
      const withSecret = startDemo(build, { JWT_SECRET: secret });
      try {
        await ready(withSecret);
        expect(withSecret.output()).toContain('  JWT_SECRET:       taken from the environment\n');
        // What `npm run jwt` mints for the simulator's user: no URLs, the demo's defaults apply.
        const token = await mintRelayToken(
          secret,
          { user: SIMULATOR_USER, pass: SIMULATOR_PASSWORD },
          '1h',
        );
        const health = `curl -s -X POST "$URL/health" -H "Authorization: Bearer ${token}"`;
        expect(await paste(withSecret.output(), health)).toEqual({ data: { status: 'ok' } });
        const other = await mintRelayToken('another-secret-0123456789abcdefghijklmn', {
          user: SIMULATOR_USER,
          pass: SIMULATOR_PASSWORD,
        });
        const refused = `curl -s -X POST "$URL/health" -H "Authorization: Bearer ${other}"`;
        expect(await paste(withSecret.output(), refused)).toEqual({
          errors: [
            {
              type: 'fatal',
              code: 'authorization error',
              message: 'Authorization failed: Failed to decode JWT with provided key',
            },
          ],
        });
      } finally {
        await stop(withSecret);
      }
    }, 90_000);

    it('refuses a secret shorter than the relay accepts, exit 2, naming the variable', async () => {
      const short = startDemo(build, { JWT_SECRET: 'too-short' });
      expect(await short.exited).toBe(2);
      expect(short.output()).toBe(
        'Invalid configuration: JWT_SECRET must be at least 32 characters\n',
      );
    }, 60_000);
  });
});
