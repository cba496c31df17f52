// One jest config, three projects: fast unit specs next to the code, and the
// integration / e2e suites under test/ (real PostgreSQL and Kafka as they land).
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const shared = {
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  // tsconfig.spec.json sets isolatedModules: ts-jest then transpiles only; `npm run typecheck` does the type checking once.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.spec.json' }] },
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
};

module.exports = {
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.spec.ts'],
      // A local Kafka broker and PostgreSQL (scripts/local-infra), or the ones KAFKA_BROKERS / DATABASE_URL name.
      globalSetup: '<rootDir>/test/support/integration-global-setup.js',
      globalTeardown: '<rootDir>/test/support/integration-global-teardown.js',
    },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'] },
  ],
};
