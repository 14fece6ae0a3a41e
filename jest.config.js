// Jest runs in native ESM mode (Nest 12 is ESM-only); SWC strips types and
// keeps legacy decorators + metadata, which Nest's DI relies on. Type checking
// is `npm run typecheck`'s job, not the test runner's.
//
// Two tiers, one run: `npm test` runs both projects (and `npm test -- --json`
// reports every test of both); `npm run test:unit` / `npm run test:e2e` select
// one. `*.spec.ts` is the unit tier: no sockets, no child processes (its
// environment makes both throw). `*.e2e-spec.ts` is the e2e tier: real servers
// on loopback, real processes.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'es6' },
  },
];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': swc },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
};

/**
 * A heap probe runs alone, in a Jest process of its own that names it on the
 * command line (observe.service.heap.e2e-spec.ts starts one): then it is the
 * only test, in a project of its own. Otherwise probes never run.
 */
const probeRun = process.argv.some((arg) => arg.endsWith('.probe.spec.ts'));

const projects = probeRun
  ? [{ ...common, displayName: 'probe', testMatch: ['<rootDir>/src/**/*.probe.spec.ts'] }]
  : [
      {
        ...common,
        displayName: 'unit',
        testEnvironment: '<rootDir>/test/support/unit-environment.mjs',
        testMatch: ['<rootDir>/{src,tools,test}/**/*.spec.ts'],
        testPathIgnorePatterns: ['/node_modules/', '\\.probe\\.spec\\.ts$'],
      },
      {
        ...common,
        displayName: 'e2e',
        testMatch: ['<rootDir>/{src,tools,test}/**/*.e2e-spec.ts'],
        testPathIgnorePatterns: ['/node_modules/'],
      },
    ];

export default {
  projects,
  testTimeout: 20000,
  maxWorkers: process.env.CI ? 2 : '50%',
};
