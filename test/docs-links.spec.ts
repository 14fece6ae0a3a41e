import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { parse } from 'yaml';
import { documentationFiles, githubSlug, readMarkdown } from './support/markdown.js';
import { ROOT } from './support/private-build.js';

/**
 * The README and docs/ as a reader meets them: every relative link and the
 * anchor it names resolve, the README stays short, the pages speak to users
 * (no internal references), every variable the relay or its example
 * environment knows is documented, and the Ingress example is a valid one.
 */
const files = documentationFiles();
const byPath = new Map(files.map((file) => [file.path, file]));

describe('documentation links', () => {
  it('reads README.md and the five pages of docs/', () => {
    expect(files.map((file) => file.path)).toEqual([
      'README.md',
      'docs/configuration.md',
      'docs/development.md',
      'docs/operations.md',
      'docs/performance.md',
      'docs/registration.md',
    ]);
  });

  it.each(files.map((file) => [file.path, file] as const))(
    'every relative link and anchor in %s resolves',
    (_path, file) => {
      const broken: string[] = [];
      for (const { target, line } of file.links) {
        if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
        const [pathPart, anchor] = target.split('#');
        const resolved =
          pathPart === '' ? file.path : normalize(join(dirname(file.path), pathPart));
        if (!existsSync(join(ROOT, resolved))) {
          broken.push(`${file.path}:${line}: ${target} (no file ${resolved})`);
          continue;
        }
        if (anchor === undefined) continue;
        const targetFile = byPath.get(resolved) ?? readMarkdown(resolved);
        if (!targetFile.anchors.has(anchor)) {
          broken.push(`${file.path}:${line}: ${target} (no heading #${anchor} in ${resolved})`);
        }
      }
      expect(broken).toEqual([]);
      expect(file.path === 'README.md' ? file.links.length : 1).toBeGreaterThan(0);
    },
  );

  it.each<[string, string]>([
    [
      'Living within the Qualys subscription’s limits',
      'living-within-the-qualys-subscriptions-limits',
    ],
    [
      "Living within the Qualys subscription's limits",
      'living-within-the-qualys-subscriptions-limits',
    ],
    ['Shared state (Redis)', 'shared-state-redis'],
    ['Rotating `JWT_SECRET`', 'rotating-jwt_secret'],
    [
      'Try it locally: from the demo to a registered module',
      'try-it-locally-from-the-demo-to-a-registered-module',
    ],
    [
      'Self-hosted relay (secret mode): the relay module',
      'self-hosted-relay-secret-mode-the-relay-module',
    ],
  ])('slugs %j as GitHub does: %s', (heading, slug) => {
    expect(githubSlug(heading)).toBe(slug);
  });
});

describe('documentation content', () => {
  it('keeps the README at most 250 lines', () => {
    expect(byPath.get('README.md')!.text.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('speaks to users: no spec sections, issue numbers or commit hashes', () => {
    const INTERNAL = [
      /§/, // spec sections
      /\bissues?\s+#?\d+/i,
      /(^|[\s(])#\d+\b/, // #12
      /\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}\b/, // a commit hash
    ];
    const internal = files.flatMap((file) =>
      file.text
        .split('\n')
        .map((line, index) => ({ at: `${file.path}:${index + 1}`, line }))
        .filter(({ line }) => {
          const prose = line.replace(/\b[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\b/g, ''); // UUIDs
          return INTERNAL.some((pattern) => pattern.test(prose));
        })
        .map(({ at, line }) => `${at}: ${line.trim()}`),
    );
    expect(internal).toEqual([]);
    expect(
      INTERNAL.map((pattern) => pattern.test('see spec §9, issue 12, #12 and 4fb21a0')),
    ).toEqual([true, true, true, true]);
  });

  it('documents every variable of the relay (config parser) and of .env.example in docs/configuration.md', () => {
    const configuration = byPath.get('docs/configuration.md')!.text;
    const parser = [
      readFileSync(join(ROOT, 'src/config/config-parser.ts'), 'utf8'),
      readFileSync(join(ROOT, 'src/config/egress-settings.ts'), 'utf8'),
    ].join('\n');
    const fromParser = [...parser.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)].map((m) => m[1]);
    const fromExample = [
      ...readFileSync(join(ROOT, '.env.example'), 'utf8').matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm),
    ].map((m) => m[1]);
    const names = [...new Set([...fromParser, ...fromExample, 'PORT', 'HOST'])];
    expect(names.length).toBeGreaterThan(30);
    expect(names.filter((name) => !configuration.includes(`\`${name}\``))).toEqual([]);
  });

  it('shows an Ingress that is valid, serves the relay routes over TLS and exposes no operational route', () => {
    const block = byPath
      .get('docs/operations.md')!
      .blocks.find(
        (candidate) => candidate.lang === 'yaml' && candidate.code.includes('kind: Ingress'),
      );
    const ingress = new Ingress(parse(block!.code) as never);
    expect(() => ingress.validate()).not.toThrow();
    const rule = ingress.spec!.rules![0];
    expect(ingress.spec!.tls).toEqual([{ hosts: [rule.host], secretName: 'qualys-ioc-relay-tls' }]);
    const paths = rule.http!.paths.map((path) => path.path);
    expect(paths).toEqual([
      '/health',
      '/observe',
      '/refer',
      '/deliberate',
      '/respond',
      '/version',
      '/watchdog',
    ]);
    expect(rule.http!.paths.map((path) => path.backend.service)).toEqual(
      paths.map(() => ({ name: 'qualys-ioc-relay', port: { name: 'http' } })),
    );
  });
});
