// Jest runs in native ESM mode (Nest 12 is ESM-only); SWC strips types and
// keeps legacy decorators + metadata, which Nest's DI relies on. Type checking
// is `npm run typecheck`'s job, not the test runner's.
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

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': swc },
  testMatch: [
    '<rootDir>/src/**/*.spec.ts',
    '<rootDir>/tools/**/*.spec.ts',
    '<rootDir>/tools/**/*.e2e-spec.ts',
    '<rootDir>/test/**/*.spec.ts',
    '<rootDir>/test/**/*.e2e-spec.ts',
  ],
  // Probes measure heap in a Jest process of their own: their spec starts one.
  testPathIgnorePatterns: ['/node_modules/', '\\.probe\\.spec\\.ts$'],
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  testTimeout: 20000,
  maxWorkers: process.env.CI ? 2 : '50%',
};
