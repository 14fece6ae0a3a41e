import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface PrivateBuild {
  /** A directory holding `dist/`, optionally `build/` (tools), `package.json` and a `node_modules` link. */
  dir: string;
  remove(): void;
}

/**
 * Compiles the app into a private temporary directory, for tests that run
 * the real entry points (`node dist/…`) as processes. Private, so a
 * concurrent `npm run build` can never pull `dist/` away from a running test.
 */
export async function compilePrivateBuild(
  prefix: string,
  options: { tools?: boolean } = {},
): Promise<PrivateBuild> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  await promisify(execFile)(process.execPath, [
    join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    join(dir, 'dist'),
  ]);
  if (options.tools) {
    // The simulators and the demo, built the way `npm run demo` builds them.
    await promisify(execFile)(
      process.execPath,
      ['scripts/build-tools.mjs', '--out', join(dir, 'build')],
      { cwd: ROOT },
    );
  }
  // dist/common/version.js reads ../../package.json; modules resolve upwards.
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
