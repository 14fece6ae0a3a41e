// Compiles what runs beside the relay but never ships with it — the Qualys
// and Threat Response simulators, the demo, the OpenAPI generator, the
// benchmarks and the soak script — into build/ (outside dist/, so the
// production image cannot contain them). Type checking is `npm run
// typecheck`'s job (tsconfig.json includes these folders); this only strips
// types, with the SWC that Jest already uses, keeping the repository layout.
//
// These files import the relay as `../src/...js` or `../../src/...js`.
// build/src is a link to dist/, so those imports load the built relay (`npm
// run build`), the code production runs, rather than a second compilation.
//
// Usage: node scripts/build-tools.mjs [--out build] [--dist dist]
import { transformFile } from '@swc/core';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { out: { type: 'string', default: 'build' }, dist: { type: 'string', default: 'dist' } },
});
const OUT = resolve(values.out);
const DIST = resolve(values.dist);
const TOOL_SOURCES = ['tools', 'bench', 'scripts/soak.ts', 'test/support/ctim-validator.ts'];

function typescriptFiles(path) {
  if (!existsSync(path)) throw new Error(`tools build: ${path} is missing`);
  if (path.endsWith('.ts')) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((entry) => {
    const child = join(path, entry.name);
    if (entry.isDirectory()) return entry.name === 'results' ? [] : typescriptFiles(child);
    return entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.d.ts') &&
      !entry.name.endsWith('.spec.ts')
      ? [child]
      : [];
  });
}

rmSync(OUT, { recursive: true, force: true });
for (const file of TOOL_SOURCES.flatMap(typescriptFiles)) {
  const { code } = await transformFile(file, {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: false,
  });
  const target = join(OUT, file.replace(/\.ts$/, '.js'));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, code);
}
symlinkSync(relative(OUT, DIST), join(OUT, 'src'), 'junction');
writeFileSync(join(OUT, '.built'), `${new Date().toISOString()}\n`);
process.stderr.write(`tools compiled into ${relative(process.cwd(), OUT) || '.'}/\n`);
