/**
 * Part 5 of `npm run bench`, the supply chain (issue #6): how many packages a production install
 * brings, and how big it is.
 *
 * Default method (offline, fast): read package-lock.json the way
 * `npm ci --omit=dev` does — every package not flagged `dev` (a `devOptional`
 * one is kept unless optional packages are omitted too) — and add up the file
 * sizes (apparent bytes) of those packages in this checkout's node_modules,
 * each package without its nested node_modules (they are entries of their own).
 *
 * With `realInstall`, it also runs `npm ci --omit=dev --ignore-scripts` in a
 * temporary copy of package.json + package-lock.json (needs the registry) and
 * measures the real tree, then deletes it.
 */
import { execFile } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  copyFileSync,
  rmSync,
  lstatSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PartResult, Row } from '../lib/report.js';
import { mib } from '../lib/stats.js';

const run = promisify(execFile);

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
}

export interface InstallFigures {
  packages: number;
  bytes: number;
}

export interface SupplyChainFigures {
  /** `--omit=dev`: what the spec's Dockerfile recipe installs. */
  omitDev: InstallFigures & { method: string };
  /** `--omit=dev --omit=optional`: also drops dev-and-optional-peer packages. */
  omitDevAndOptional: InstallFigures;
  /** Packages kept by --omit=dev only because they are optional peers of production packages. */
  devOptionalPackages: string[];
  /** `npm ls --omit=dev --all --parseable`, without the root line. */
  npmLsCount: number | null;
  realInstall?: InstallFigures & { seconds: number };
}

/** Apparent size of every file and link under `dir`. */
function treeBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    bytes += entry.isDirectory() ? treeBytes(path) : lstatSync(path).size;
  }
  return bytes;
}

/** A package folder without the node_modules folders nested in it. */
function packageBytes(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) bytes += entry.name === 'node_modules' ? 0 : packageBytes(path);
    else bytes += lstatSync(path).size;
  }
  return bytes;
}

function fromLockfile(
  root: string,
  keep: (entry: LockEntry) => boolean,
): InstallFigures & { missing: string[] } {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  let packages = 0;
  let bytes = 0;
  const missing: string[] = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || !keep(entry)) continue;
    packages++;
    const dir = join(root, path);
    if (existsSync(dir)) bytes += packageBytes(dir);
    else missing.push(path);
  }
  return { packages, bytes, missing };
}

async function npmLsCount(root: string): Promise<number | null> {
  try {
    const { stdout } = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.split('\n').filter((line) => line.trim() !== '' && line.trim() !== root).length;
  } catch {
    return null;
  }
}

async function realInstall(root: string): Promise<InstallFigures & { seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'relay-prod-install-'));
  try {
    copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
    const started = performance.now();
    await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
      cwd: dir,
      timeout: 300_000,
    });
    const seconds = (performance.now() - started) / 1000;
    const counted = fromLockfile(dir, (entry) => !entry.dev);
    return {
      packages: counted.packages - counted.missing.length,
      bytes: treeBytes(join(dir, 'node_modules')),
      seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureSupplyChain(
  root: string,
  options: { realInstall: boolean },
): Promise<SupplyChainFigures> {
  const omitDev = fromLockfile(root, (entry) => !entry.dev);
  const omitBoth = fromLockfile(
    root,
    (entry) => !entry.dev && !entry.devOptional && !entry.optional,
  );
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const figures: SupplyChainFigures = {
    omitDev: {
      packages: omitDev.packages,
      bytes: omitDev.bytes,
      method:
        'package-lock.json entries kept by `npm ci --omit=dev`, sized from this checkout’s node_modules (apparent bytes)' +
        (omitDev.missing.length > 0 ? `; ${omitDev.missing.length} not installed here` : ''),
    },
    omitDevAndOptional: { packages: omitBoth.packages, bytes: omitBoth.bytes },
    devOptionalPackages: Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.devOptional === true)
      .map(([path]) => path.replace(/^.*node_modules\//, '')),
    npmLsCount: await npmLsCount(root),
  };
  if (options.realInstall) figures.realInstall = await realInstall(root);
  return figures;
}

/** Part 5's rows and figures. */
export async function supplyChainPart(
  root: string,
  options: { realInstall: boolean },
): Promise<PartResult> {
  const figures = await measureSupplyChain(root, options);
  const rows: Row[] = [
    {
      part: '5',
      measure: 'production packages (npm ci --omit=dev)',
      value: `${figures.omitDev.packages} packages, ${mib(figures.omitDev.bytes)} MiB (npm ls: ${figures.npmLsCount ?? '?'})`,
      target: '',
      pass: null,
    },
  ];
  if (figures.devOptionalPackages.length > 0) {
    rows.push({
      part: '5',
      measure: '  … with --omit=optional as well',
      value: `${figures.omitDevAndOptional.packages} packages, ${mib(figures.omitDevAndOptional.bytes)} MiB (drops ${figures.devOptionalPackages.join(', ')})`,
      target: '',
      pass: null,
    });
  }
  if (figures.realInstall) {
    rows.push({
      part: '5',
      measure: '  real npm ci --omit=dev in a temp folder',
      value: `${figures.realInstall.packages} packages, ${mib(figures.realInstall.bytes)} MiB, ${figures.realInstall.seconds.toFixed(0)} s`,
      target: '',
      pass: null,
    });
  }
  return { rows, report: { supplyChain: figures }, badAnswers: 0 };
}
