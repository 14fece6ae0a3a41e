import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { SIMULATOR_PASSWORD, SIMULATOR_USER } from '../tools/simulator/qualys-simulator.js';
import { validateObserveResponse } from '../tools/lib/ctim-validator.js';
import { readMarkdown, shellBlocksUnder, type CodeBlock } from './support/markdown.js';
import { compilePrivateBuild, ROOT, type PrivateBuild } from './support/private-build.js';

/**
 * The walk-throughs of the README and docs/ run as written: each shell block
 * is pasted into a terminal in the order the page gives, `npm run demo` and
 * `npm run tr-simulator` in terminals of their own, and the `export` lines
 * they print pasted into the next terminal, as the pages say. `npm` is a
 * shell function that runs each script's entry point from a private build,
 * printing npm's banner on stdout unless `-s` is given, like npm does.
 */
const scripts = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;
/** Scripts that run until Ctrl-C: they get a terminal of their own. */
const SERVERS = /\bnpm run (demo|tr-simulator|simulator)\b/;

/** `npm` for the walk-throughs: `npm ci` (done) and `npm run [-s] <script> [-- args]`. */
function npmShim(buildDir: string): string {
  const cases = Object.entries(scripts)
    .map(([name, command]) => {
      const entry = /node ((?:dist|build)\/\S+\.js)$/.exec(command)?.[1];
      if (entry === undefined) return '';
      const banner = `\\n> qualys-ioc-relay@1.0.0 ${name}\\n> ${command.replace(/[%\\']/g, '')}\\n\\n`;
      return `    ${name}) [[ -n "$silent" ]] || printf '${banner}'; node '${join(buildDir, entry)}' "$@" ;;`;
    })
    .filter((line) => line !== '')
    .join('\n');
  return `npm() {
  case "$1" in
    ci) return 0 ;;
    run) shift ;;
    *) echo "npm $1: not part of the walk-through" >&2; return 64 ;;
  esac
  local silent=
  if [[ "$1" == -s || "$1" == --silent ]]; then silent=1; shift; fi
  local script="$1"; shift
  if [[ "\${1-}" == -- ]]; then shift; fi
  case "$script" in
${cases}
    *) echo "npm error Missing script: \\"$script\\"" >&2; return 1 ;;
  esac
}
set -o pipefail
trap 'echo "__FAILED__ status $?: $BASH_COMMAND" >&2' ERR
`;
}

/** A bash that runs pasted blocks one after the other, keeping its variables. */
class Terminal {
  private readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private blocks = 0;

  constructor(cwd: string, prelude: string) {
    this.child = spawn('bash', ['--noprofile', '--norc'], {
      cwd,
      env: { PATH: process.env.PATH, HOME: cwd, LANG: 'C.UTF-8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.child.stdin!.write(prelude);
  }

  /** Pastes `code`; resolves with what it printed. */
  async paste(code: string): Promise<{ stdout: string; stderr: string }> {
    const marker = `__DONE_${(this.blocks += 1)}__`;
    const [outFrom, errFrom] = [this.stdout.length, this.stderr.length];
    this.child.stdin!.write(`${code}\necho ${marker}; echo ${marker} >&2\n`);
    const deadline = Date.now() + 60_000;
    while (!(this.stdout.includes(marker) && this.stderr.includes(marker))) {
      if (Date.now() > deadline) throw new Error(`no end of block ${code}: ${this.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return {
      stdout: this.stdout.slice(outFrom, this.stdout.indexOf(marker, outFrom)),
      stderr: this.stderr.slice(errFrom, this.stderr.indexOf(marker, errFrom)),
    };
  }

  close(): void {
    this.child.stdin!.end();
  }
}

/** A block that runs until Ctrl-C (the demo, a simulator), in a process group of its own. */
class ServerTerminal {
  private readonly child: ChildProcess;
  output = '';
  private readonly exited: Promise<void>;

  constructor(cwd: string, prelude: string, code: string) {
    this.child = spawn('bash', ['--noprofile', '--norc', '-c', `${prelude}\n${code}`], {
      cwd,
      env: { PATH: process.env.PATH, HOME: cwd, LANG: 'C.UTF-8' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    }
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
  }

  /** The `export` lines it printed, once it printed them and went quiet. */
  async exportLines(): Promise<string[]> {
    const deadline = Date.now() + 60_000;
    let seen = '';
    for (;;) {
      const lines = this.output.split('\n').filter((line) => line.startsWith('export '));
      if (lines.length > 0 && this.output === seen) return lines;
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the server block printed no export line: ${this.output}`);
      }
      seen = this.output;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }

  /** Ctrl-C, as a user stops it; a kill if it does not stop. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    process.kill(-this.child.pid!, 'SIGINT');
    const timer = setTimeout(() => process.kill(-this.child.pid!, 'SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

let build: PrivateBuild;
let workdir: string;
let prelude: string;
const servers: ServerTerminal[] = [];
const terminals: Terminal[] = [];

beforeAll(async () => {
  build = await compilePrivateBuild('relay-docs-', { tools: true });
  // "In the repository": the files the commands read from the working directory.
  workdir = mkdtempSync(join(tmpdir(), 'relay-docs-cwd-'));
  copyFileSync(join(ROOT, 'relay_settings.json'), join(workdir, 'relay_settings.json'));
  prelude = npmShim(build.dir);
}, 120_000);

afterEach(async () => {
  for (const terminal of terminals.splice(0)) terminal.close();
  for (const server of servers.splice(0)) await server.stop();
});

afterAll(() => {
  build.remove();
  rmSync(workdir, { recursive: true, force: true });
});

interface Transcript {
  block: CodeBlock;
  stdout: string;
  stderr: string;
}

/**
 * Runs the blocks in order: a server block starts a terminal of its own, and
 * its `export` lines are pasted into the shared terminal; every other block
 * is pasted there. Returns what each non-server block printed.
 */
async function walk(blocks: CodeBlock[], skip: (block: CodeBlock) => boolean = () => false) {
  const terminal = new Terminal(workdir, prelude);
  terminals.push(terminal);
  const transcripts: Transcript[] = [];
  for (const block of blocks) {
    if (skip(block)) continue;
    if (SERVERS.test(block.code)) {
      const server = new ServerTerminal(workdir, prelude, block.code);
      servers.push(server);
      const pasted = await terminal.paste((await server.exportLines()).join('\n'));
      expect(pasted).toEqual({ stdout: '', stderr: '' });
      continue;
    }
    transcripts.push({ block, ...(await terminal.paste(block.code)) });
  }
  for (const { block, stderr } of transcripts) {
    expect([block.code, stderr.match(/__FAILED__.*/g) ?? []]).toEqual([block.code, []]);
  }
  return transcripts;
}

const readme = readMarkdown('README.md');
const registration = readMarkdown('docs/registration.md');

describe('the README quick start and "Try it locally", as written', () => {
  it('starts the demo, and its curl commands answer from the simulator', async () => {
    const blocks = [
      ...shellBlocksUnder(readme, 'Quick start'),
      ...shellBlocksUnder(readme, 'Try it locally'),
    ];
    expect(blocks.map((block) => block.code.split('\n')[0])).toEqual([
      'npm ci && npm run demo',
      'npm ci && npm test',
      'curl -s -X POST "$URL/health" -H "Authorization: Bearer $JWT"',
      'curl -s -X POST "$URL/observe/observables" -H "Authorization: Bearer $JWT" \\',
      'curl -s -X POST "$URL/refer/observables" -H "Authorization: Bearer $JWT" \\',
    ]);
    // `npm test` is what is running this very test.
    const [health, observe, refer] = await walk(blocks, (block) => block.code.includes('npm test'));
    expect(JSON.parse(health.stdout)).toEqual({ data: { status: 'ok' } });
    const observed = JSON.parse(observe.stdout) as { data: { sightings: { count: number } } };
    expect(validateObserveResponse(observed)).toEqual([]);
    expect(observed.data.sightings.count).toBeGreaterThan(0);
    const links = JSON.parse(refer.stdout) as { data: { title: string }[] };
    expect(links.data.map((link) => link.title)).toEqual([
      'Search for this SHA256',
      'Search for this domain',
    ]);
  }, 120_000);
});

describe('the token walk-through, as written', () => {
  it('mints a token with npm run -s jwt that the demo accepts, and shows what it carries', async () => {
    const [health, decoded] = await walk(
      shellBlocksUnder(registration, 'Try a token of your own against the demo'),
    );
    expect(health.stdout).toBe('{"data":{"status":"ok"}}');
    expect(JSON.parse(decoded.stdout)).toEqual({
      user: SIMULATOR_USER,
      pass: SIMULATOR_PASSWORD,
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
  }, 120_000);
});

describe('the registration walk-through, as written', () => {
  it('registers the demo relay with the Threat Response simulator, printing what the page says', async () => {
    const [module, health] = await walk(
      shellBlocksUnder(registration, 'Try it locally: from the demo to a registered module'),
    );
    // Every "# <message>!" the page shows beside a command is printed, in that order.
    const promised = [...module.block.code.matchAll(/# ((?:Relay module|Module type) .*!)$/gm)].map(
      (match) => match[1],
    );
    expect(promised.length).toBeGreaterThanOrEqual(3);
    const printed = module.stdout.split('\n').filter((line) => promised.includes(line));
    expect(printed).toEqual(promised);
    expect(module.stdout).toContain('Dry run: nothing was sent. The write would be:');
    expect(module.stdout).toMatch(
      /Module type "Qualys IOC Relay" has been successfully created! Its id is [\w-]+\./,
    );
    expect(module.stdout).not.toContain('eyJ'); // the JWT is masked
    expect(health.stdout).toBe('{"data":{"status":"ok"}}');
  }, 120_000);
});
