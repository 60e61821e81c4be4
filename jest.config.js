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
};
