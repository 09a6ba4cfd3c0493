/**
 * ts-jest in ESM mode (the package is "type": "module"). Node needs two flags for it, which
 * scripts/test.sh (`npm test`) sets in NODE_OPTIONS: --experimental-vm-modules, for jest to load ES
 * modules, and --experimental-websocket, for the demo FHIR server's packages (@medplum/*) on Node 20.
 */
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
