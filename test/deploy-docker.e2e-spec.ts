import { execFile, spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseRelayConfig } from '../src/config/config-parser.js';
import { ROOT } from './support/private-build.js';

/**
 * The container image by what it does (issue #5.7, issue 10.8c), without a
 * Docker engine: the build context is what .dockerignore lets through, the
 * build stage's COPY instructions and its build command are carried out on
 * that context alone, and the runtime stage's CMD, with its ENV, is started
 * and stopped like Kubernetes would. `scripts/verify-image-steps.sh` (CI)
 * additionally installs the production dependencies with `npm ci --omit=dev`.
 */

interface Stage {
  name: string;
  /** Instruction keyword and arguments, comments and continuations removed. */
  instructions: { keyword: string; args: string }[];
}

function dockerfileStages(): Stage[] {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      stages.push({ name: /\sAS\s+(\S+)$/i.exec(args)?.[1] ?? '', instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/** Docker's .dockerignore semantics: the last pattern matching a path or one of its parents wins. */
function dockerignoreFilter(): (path: string) => boolean {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const glob = (include ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const source = glob
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      return { include, regex: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let included = true;
    for (const { include, regex } of patterns) {
      if (candidates.some((candidate) => regex.test(candidate))) included = include;
    }
    return included;
  };
}

/** Bare module specifiers imported by the compiled JavaScript under `dir`. */
function importedPackages(dir: string): Set<string> {
  const packages = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const code = readFileSync(join(entry.parentPath, entry.name), 'utf8');
    const specifiers = [
      ...code.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm),
      ...code.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((match) => match[1]);
    for (const specifier of specifiers.filter((s) => !s.startsWith('.'))) {
      const name = specifier.startsWith('@')
        ? specifier.split('/').slice(0, 2).join('/')
        : specifier.split('/')[0];
      if (!name.startsWith('node:') && !builtinModules.includes(name)) packages.add(name);
    }
  }
  return packages;
}

describe('container image (Dockerfile, .dockerignore) by behaviour', () => {
  const stages = dockerfileStages();
  const stage = (name: string) => stages.find((s) => s.name === name);
  let context: string[];
  let work: string;

  beforeAll(async () => {
    const { stdout } = await promisify(execFile)(
      'git',
      ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
      { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 },
    );
    const ignored = dockerignoreFilter();
    context = stdout
      .split('\0')
      .filter((path) => path !== '' && existsSync(join(ROOT, path)) && ignored(path));
    work = mkdtempSync(join(tmpdir(), 'relay-image-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('builds dist/main.js from the build context alone, as the build stage does', async () => {
    const build = join(work, 'build');
    mkdirSync(build);
    // COPY <sources…> <dest>, from the context (what .dockerignore let through).
    for (const { keyword, args } of stage('build')!.instructions) {
      if (keyword !== 'COPY') continue;
      const parts = args.split(/\s+/);
      const destination = join(build, parts.at(-1)!);
      for (const source of parts.slice(0, -1)) {
        const files = context.filter((path) => path === source || path.startsWith(`${source}/`));
        expect({ source, copied: files.length > 0 }).toEqual({ source, copied: true });
        for (const file of files) {
          const target = parts.at(-1)!.endsWith('/')
            ? join(destination, file)
            : join(destination, file.slice(source.length));
          mkdirSync(dirname(target), { recursive: true });
          cpSync(join(ROOT, file), target);
        }
      }
    }
    // The stage's RUN commands, `npm ci` replaced by the repository's own install of the lockfile.
    symlinkSync(join(ROOT, 'node_modules'), join(build, 'node_modules'), 'dir');
    const runs = stage('build')!
      .instructions.filter((i) => i.keyword === 'RUN' && !/^npm ci\b/.test(i.args))
      .map((i) => i.args);
    expect(runs.length).toBeGreaterThan(0);
    for (const command of runs) {
      await promisify(execFile)('sh', ['-c', command], { cwd: build, timeout: 120_000 });
    }
    expect(existsSync(join(build, 'dist/main.js'))).toBe(true);
    // Specs never reach the image.
    expect(context.filter((path) => /\.(e2e-)?spec\.ts$/.test(path))).toEqual([]);
  }, 150_000);

  it('needs no development dependency at run time', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = [...importedPackages(join(work, 'build/dist'))].sort();
    expect(imported.filter((name) => !(name in manifest.dependencies))).toEqual([]);
    expect(imported).toEqual(expect.arrayContaining(['@nestjs/core', 'reflect-metadata']));
  });

  it('starts with the runtime CMD, gets ready, and exits 0 on SIGTERM after draining', async () => {
    const runtime = stage('runtime')!.instructions;
    // Kubernetes runs it as UID 1000; the image must not default to root.
    expect(runtime.filter((i) => i.keyword === 'USER').map((i) => i.args)).not.toContainEqual(
      expect.stringMatching(/^(root|0)(:|$)/),
    );
    expect(runtime.some((i) => i.keyword === 'USER')).toBe(true);
    const cmd = JSON.parse(runtime.find((i) => i.keyword === 'CMD')!.args) as string[];
    const env = Object.fromEntries(
      runtime
        .filter((i) => i.keyword === 'ENV')
        .map((i) => /^(\S+?)[= ](.*)$/.exec(i.args)!.slice(1, 3)),
    ) as Record<string, string>;
    expect(env).toEqual({ NODE_ENV: 'production', NODE_OPTIONS: '--max-old-space-size=160' });
    const app = join(work, 'runtime');
    mkdirSync(app);
    cpSync(join(work, 'build/dist'), join(app, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');

    // Exec form, no shell and no npm wrapper: the signal reaches node itself.
    const child = spawn(cmd[0] === 'node' ? process.execPath : cmd[0], cmd.slice(1), {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        AUTH_MODE: 'secret',
        JWT_SECRET: 'image-test-secret-0123456789abcdef0123',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'info',
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that nothing it starts can outlive the test.
      detached: true,
    });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      let port: string | undefined;
      for (let i = 0; i < 300 && port === undefined && child.exitCode === null; i++) {
        port = /"port":(\d+)/.exec(log)?.[1];
        if (port === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect({ port: port !== undefined, log: port === undefined ? log : '' }).toEqual({
        port: true,
        log: '',
      });
      const ready = await fetch(`http://127.0.0.1:${port}/healthz/ready`);
      expect(ready.status).toBe(200);
      // Kubernetes signals the container's PID 1: the CMD process itself.
      child.kill('SIGTERM');
      const timedOut = new Promise<string>((resolve) =>
        setTimeout(() => resolve('still running 15 s after SIGTERM'), 15_000).unref(),
      );
      expect(await Promise.race([exited, timedOut])).toBe(0);
      expect(log).toContain('"msg":"Shutting down: draining in-flight requests"');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The whole group is gone already.
      }
    }
  }, 60_000);

  it('exposes the port the relay listens on by default', () => {
    const exposed = stage('runtime')!
      .instructions.filter((i) => i.keyword === 'EXPOSE')
      .map((i) => Number(i.args));
    const { port } = parseRelayConfig({ AUTH_MODE: 'secret', JWT_SECRET: 'x'.repeat(32) });
    expect(exposed).toEqual([port]);
  });
});
