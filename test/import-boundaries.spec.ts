import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';

/**
 * What each folder of `src/` offers the others: a file not listed here is
 * internal to its folder (house style: "a folder imports another feature's
 * public surface, never its internals; something two features need moves
 * down to common/ (or config/)"). `common/` and `config/` are those shared
 * layers, so every file in them is public. Extend a list on purpose, when a
 * file really is part of its folder's surface.
 */
const PUBLIC: Readonly<Record<string, readonly string[] | 'every file'>> = {
  auth: [
    'auth.module.ts',
    'jwt-auth.guard.ts',
    'public.decorator.ts',
    'relay-context.decorator.ts',
    'relay-context.ts',
  ],
  cli: [],
  common: 'every file',
  config: 'every file',
  ctim: ['ctim.module.ts', 'ctim.types.ts', 'observation.mapper.ts', 'verdict.mapper.ts'],
  egress: [
    'egress-axios.ts',
    'egress-dispatcher.ts',
    'egress-fetch.ts',
    'egress.module.ts',
    'undici-adapter.ts',
  ],
  health: ['graceful-shutdown.ts', 'health.module.ts', 'ops-server.ts'],
  observability: [
    'logger.ts',
    'metrics.module.ts',
    'metrics.ts',
    'observability.module.ts',
    'route-label.ts',
    'tracing.ts',
  ],
  qualys: [
    'qualys-errors.ts',
    'qualys-event.ts',
    'qualys.client.ts',
    'qualys.health.ts',
    'qualys.module.ts',
    'search-filter.ts',
  ],
  'rate-limit': ['rate-limit.guard.ts', 'rate-limit.module.ts', 'skip-rate-limit.decorator.ts'],
  relay: ['relay-routes.ts', 'relay.module.ts'],
};

/**
 * Inside `qualys/`, what the client and its layers use of `limits/`: the
 * `QualysLimits` façade (which re-exports the errors and types the client
 * sees), the request scope callers hold, and the store factory the module
 * wires. The stores, the scheduler and search sharing stay behind the façade.
 */
const LIMITS_SURFACE: readonly string[] = [
  'qualys/limits/limit-stores.factory.ts',
  'qualys/limits/qualys-limits.ts',
  'qualys/limits/relay-request-scope.ts',
];

/** The composition root: the files directly in `src/`, which wire the folders together. */
const ROOT = '(root)';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

interface Import {
  /** Importing file, relative to `src/`. */
  from: string;
  /** Imported file, relative to `src/` (`../tools/…` when outside it). */
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every relative import, `export … from` and `import()` of every file under `src/`. */
function relativeImports(): Import[] {
  return sourceFiles(SRC).flatMap((file) =>
    ts
      .preProcessFile(readFileSync(file, 'utf8'), true, true)
      .importedFiles.filter((imported) => imported.fileName.startsWith('.'))
      .map((imported) => ({
        from: relative(SRC, file),
        to: relative(SRC, resolve(dirname(file), imported.fileName.replace(/\.js$/, '.ts'))),
      })),
  );
}

function folderOf(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? ROOT : path.slice(0, slash);
}

/** `qualys/qualys.client.ts` → `qualys.client.ts`, `relay/dto/x.ts` → `dto/x.ts`. */
function pathInFolder(path: string): string {
  return path.slice(path.indexOf('/') + 1);
}

const isSpec = (path: string): boolean => /\.(e2e-)?spec\.ts$/.test(path);
const isOutsideSrc = (path: string): boolean => path.startsWith('..');

const imports = relativeImports();
const crossFolder = imports.filter(
  ({ from, to }) => !isOutsideSrc(to) && folderOf(from) !== folderOf(to),
);

describe('import boundaries of src/', () => {
  it('names the public surface of every folder, with files that exist', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(Object.keys(PUBLIC).sort()).toEqual(folders.sort());
    const missing = Object.entries(PUBLIC).flatMap(([folder, files]) =>
      files === 'every file'
        ? []
        : files.filter((file) => !existsSync(join(SRC, folder, file))).map((f) => `${folder}/${f}`),
    );
    expect(missing).toEqual([]);
  });

  it("imports another folder only through that folder's public files", () => {
    const internal = crossFolder
      .filter(({ to }) => folderOf(to) !== ROOT)
      .filter(({ to }) => {
        const surface = PUBLIC[folderOf(to)];
        return surface !== 'every file' && !surface.includes(pathInFolder(to));
      })
      .map(({ from, to }) => `${from} -> ${to}`);
    expect(internal).toEqual([]);
  });

  it('never imports the composition root from a folder', () => {
    const upward = crossFolder
      .filter(({ to }) => folderOf(to) === ROOT)
      .map(({ from, to }) => `${from} -> ${to}`);
    expect(upward).toEqual([]);
  });

  it('keeps production code free of tools/, test/ and bench/ (specs may use them)', () => {
    const outside = imports
      .filter(({ from, to }) => !isSpec(from) && isOutsideSrc(to))
      .map(({ from, to }) => `${from} -> ${to}`);
    expect(outside).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const dependsOn = new Map<string, Set<string>>();
    for (const { from, to } of crossFolder.filter(({ from }) => !isSpec(from))) {
      const folders = dependsOn.get(folderOf(from)) ?? new Set<string>();
      folders.add(folderOf(to));
      dependsOn.set(folderOf(from), folders);
    }
    // Depth-first; a folder already explored leads to no new cycle.
    const cycles = new Set<string>();
    const explored = new Set<string>();
    const visit = (folder: string, path: readonly string[]): void => {
      if (path.includes(folder)) {
        cycles.add([...path.slice(path.indexOf(folder)), folder].join(' -> '));
        return;
      }
      if (explored.has(folder)) return;
      for (const next of dependsOn.get(folder) ?? []) visit(next, [...path, folder]);
      explored.add(folder);
    };
    for (const folder of [...dependsOn.keys()].sort()) visit(folder, []);
    expect([...cycles]).toEqual([]);
  });

  it('reaches qualys/limits/ from the rest of qualys/ only through its façade', () => {
    const inside = (path: string): boolean => path.startsWith('qualys/limits/');
    const behind = imports
      .filter(({ from }) => from.startsWith('qualys/') && !inside(from) && !isSpec(from))
      .filter(({ to }) => inside(to) && !LIMITS_SURFACE.includes(to))
      .map(({ from, to }) => `${from} -> ${to}`);
    expect(behind).toEqual([]);
    expect(LIMITS_SURFACE.filter((file) => !existsSync(join(SRC, file)))).toEqual([]);
  });
});
