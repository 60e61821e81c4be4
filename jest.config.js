/** jest in ESM mode: ts-jest transpiles each file on its own; `npm run typecheck` does the type checking. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  moduleNameMapper: {
    // The package's ES build is .js without "type": "module", which Node loads as CommonJS.
    '^aws-sdk-client-mock-jest$': '<rootDir>/node_modules/aws-sdk-client-mock-jest/dist/cjs/jest.js',
  },
  reporters: [
    'default',
    '<rootDir>/test/support/SummaryReporter.js',
    '<rootDir>/test/support/ReliabilityReporter.js',
  ],
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  // A rehearsal on the AWS twin synthesizes the stacks first (seconds, more on a busy machine).
  testTimeout: 240_000,
  // Both cores: jest's default (cores - 1) runs a 2-core machine in band, in one process.
  maxWorkers: 2,
  // A worker that has loaded the CDK app and the twin's handlers for a few files holds gigabytes; one
  // past this is replaced between test files, which keeps garbage collection from dominating.
  workerIdleMemoryLimit: '1GB',
};
