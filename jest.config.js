/** ts-jest in ESM mode; see docs/architecture.md for why the flags in package.json are needed. */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
  // A guard against hangs, not a speed check: far above what any test needs on a busy machine.
  testTimeout: 60000,
};
