import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseJwtArgs } from '../src/cli/jwt-args.js';
import { parseModuleArgs } from '../src/cli/module/args.js';
import { parseCliArgs } from '../tools/simulator/cli.js';
import { parseTrCliArgs } from '../tools/tr-simulator/cli.js';
import { documentationFiles, isShell } from './support/markdown.js';
import { npmInvocations, shellWords, type NpmInvocation } from './support/npm-invocations.js';
import { ROOT } from './support/private-build.js';

/**
 * Every `npm run <script> -- <flags>` the README and docs/ show, checked
 * against the script list and against that CLI's own option parser, so a
 * pasted command never fails on an option. (The walk-throughs also run as
 * written: docs-walkthroughs.e2e-spec.ts.)
 */
const scripts = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** The options each CLI accepts, by its own parser; a usage error throws. */
const PARSERS: Record<string, (args: string[], env: Record<string, string>) => unknown> = {
  jwt: (args, env) =>
    parseJwtArgs(args, { JWT_SECRET: 'a-stand-in-secret-of-32-characters', ...env }),
  module: (args, env) => parseModuleArgs(args, env),
  simulator: (args) => parseCliArgs(args),
  'tr-simulator': (args) => parseTrCliArgs(args),
};
/** Scripts whose options are read inline by the script itself (benchmarks). */
const OWN_OPTIONS = new Set(['bench', 'soak']);

const invocations: { at: string; invocation: NpmInvocation }[] = documentationFiles().flatMap(
  (file) =>
    file.blocks.filter(isShell).flatMap((block) =>
      npmInvocations(block.code).map((invocation) => ({
        at: `${file.path}:${block.line}`,
        invocation,
      })),
    ),
);

function problem({ script, args, env, silent, outputUsed }: NpmInvocation): string | undefined {
  if (!Object.hasOwn(scripts, script)) return `there is no npm script "${script}"`;
  if (outputUsed && !silent)
    return 'its output is used, so it needs npm run -s (npm prints a banner)';
  const parser = PARSERS[script];
  if (parser) {
    try {
      parser(args, env);
    } catch (error) {
      return `its parser refuses it: ${(error as Error).message}`;
    }
    return undefined;
  }
  if (!OWN_OPTIONS.has(script) && args.length > 0) return `${script} takes no arguments`;
  return undefined;
}

describe('npm run commands in the documentation', () => {
  it('finds the commands of every CLI', () => {
    const seen = new Set(invocations.map(({ invocation }) => invocation.script));
    for (const script of ['demo', 'jwt', 'module', 'simulator', 'tr-simulator', 'bench', 'soak']) {
      expect([script, seen.has(script)]).toEqual([script, true]);
    }
    expect(invocations.length).toBeGreaterThan(25);
  });

  it('names existing scripts, with options their CLI accepts', () => {
    const refused = invocations.flatMap(({ at, invocation }) => {
      const why = problem(invocation);
      return why === undefined ? [] : [`${at}: ${invocation.text}: ${why}`];
    });
    expect(refused).toEqual([]);
  });

  it.each<[string, string]>([
    ['npm run jwt -- --pass secret', 'its parser refuses it: --pass is not accepted'],
    [
      'npm run module -- edit --url https://x.example',
      "its parser refuses it: Unknown option '--url'.",
    ],
    ['export JWT="$(npm run jwt -- --user u)"', 'its output is used, so it needs npm run -s'],
    ['npm run module -- type print --url https://x.example > t.json', 'its output is used'],
    ['npm run deploy', 'there is no npm script "deploy"'],
    ['npm run demo -- --port 1', 'demo takes no arguments'],
    [
      'npm run -s jwt -- --user u --api-url http://127.0.0.1:1',
      'its parser refuses it: --api-url must use https',
    ],
  ])('refuses %s', (command, why) => {
    const [invocation] = npmInvocations(command);
    expect(problem(invocation)).toContain(why);
  });

  it('reads the words a shell would pass, environment prefixes and captured output', () => {
    expect(
      npmInvocations(
        'JWT="$(QUALYS_ALLOW_INSECURE=true npm run -s jwt -- --user \'a b\' --api-url "$URL" \\\n  --limit 5)"   # a comment\nnpm run module -- apply   # Relay module …',
      ),
    ).toEqual([
      {
        text: 'QUALYS_ALLOW_INSECURE=true npm run -s jwt -- --user \'a b\' --api-url "$URL"    --limit 5',
        script: 'jwt',
        silent: true,
        args: ['--user', 'a b', '--api-url', 'https://relay.example.com', '--limit', '5'],
        env: { QUALYS_ALLOW_INSECURE: 'true' },
        outputUsed: true,
      },
      {
        text: 'npm run module -- apply',
        script: 'module',
        silent: false,
        args: ['apply'],
        env: {},
        outputUsed: false,
      },
    ]);
    expect(shellWords(`a'b c'"$X d" \${Y}`)).toEqual(['ab cvalue-of-X d', 'value-of-Y']);
  });
});
