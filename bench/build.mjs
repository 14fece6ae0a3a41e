// Compiles the benchmark and soak scripts (TypeScript) for `npm run bench` and
// `npm run soak`. Type checking is `npm run typecheck`'s job (tsconfig.json
// includes bench/ and scripts/); this only strips types, with the SWC that
// Jest already uses, into dist/.bench/ with the repository's layout.
//
// The scripts import the relay's code as `../src/...js`. dist/.bench/src is a
// link to dist/, so those imports load the built relay (`npm run build`), the
// code production runs, rather than a second compilation of src/.
import { transformFile } from '@swc/core';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const OUT = 'dist/.bench';
const SOURCES = ['bench', 'scripts/soak.ts', 'test/support/ctim-validator.ts'];

function typescriptFiles(path) {
  if (!existsSync(path)) throw new Error(`bench build: ${path} is missing`);
  if (path.endsWith('.ts')) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    const child = join(path, entry.name);
    if (entry.isDirectory()) return entry.name === 'results' ? [] : typescriptFiles(child);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [child] : [];
  });
}

rmSync(OUT, { recursive: true, force: true });
for (const file of SOURCES.flatMap(typescriptFiles)) {
  const { code } = await transformFile(file, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: false,
  });
  const target = join(OUT, file.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, code);
}
symlinkSync(relative(OUT, 'dist'), join(OUT, 'src'), 'junction');
process.stderr.write(`bench scripts compiled into ${OUT}/\n`);
