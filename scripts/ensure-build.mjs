// Builds dist/ when it is missing or older than any source file, so that
// `npm run demo`, `npm run simulator` and `npm run jwt` work right after
// `npm ci` on a fresh clone, and stay quick when nothing changed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mtime = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    newest = Math.max(newest, mtime);
  }
  return newest;
}

const marker = 'dist/main.js';
const stale =
  !existsSync(marker) ||
  Math.max(newestMtime('src'), statSync('package.json').mtimeMs) > statSync(marker).mtimeMs;

if (stale) {
  process.stderr.write('Building the relay (npm run build)…\n');
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
