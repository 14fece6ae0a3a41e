// Compiles what runs beside the relay but never ships with it — the Qualys
// and Threat Response simulators, the demo, the OpenAPI generator, the
// benchmarks and the soak run — into build/, outside dist/, so the production
// image cannot contain them. It is `tsc -p tsconfig.tools.json`: tools/ and
// bench/ (no specs), and the relay code they import, which lands in
// build/src. No type checking here (`noCheck`): `npm run typecheck` does it.
//
// build/src/common/version.js reads ../../package.json, as dist/common's
// does: hence the copy of package.json in build/.
//
// Usage: node scripts/build-tools.mjs [--out build]
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { out: { type: 'string', default: 'build' } } });
const OUT = resolve(values.out);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(OUT, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.tools.json', '--outDir', OUT], {
  stdio: 'inherit',
});
copyFileSync('package.json', join(OUT, 'package.json'));
writeFileSync(join(OUT, '.built'), `${new Date().toISOString()}\n`);
process.stderr.write(`tools compiled into ${relative(process.cwd(), OUT) || '.'}/\n`);
