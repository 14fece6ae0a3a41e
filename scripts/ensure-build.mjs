// Builds what an npm script needs when it is missing or older than its
// sources, so that `npm run demo`, `npm run simulator`, `npm run jwt` … work
// right after `npm ci` on a fresh clone, and stay quick when nothing changed.
//
//   node scripts/ensure-build.mjs          the relay: dist/ (npm run build)
//   node scripts/ensure-build.mjs tools    dist/ and build/ (simulators, demo,
//                                          generators, bench, soak: build-tools.mjs)
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    newest = Math.max(newest, newestMtime(join(path, entry.name)));
  }
  return newest;
}

function stale(marker, sources) {
  return !existsSync(marker) || Math.max(...sources.map(newestMtime)) > statSync(marker).mtimeMs;
}

function run(what, args) {
  process.stderr.write(`Building ${what}…\n`);
  execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'inherit', 'inherit'] });
}

if (stale('dist/main.js', ['src', 'package.json', 'tsconfig.build.json'])) {
  run('the relay (npm run build)', ['npm', 'run', '--silent', 'build']);
}
if (process.argv[2] === 'tools') {
  const sources = ['tools', 'bench', 'src', 'package.json', 'tsconfig.json', 'tsconfig.tools.json'];
  if (stale('build/.built', sources)) {
    run('the tools (simulators, demo, bench)', [process.execPath, 'scripts/build-tools.mjs']);
  }
}
