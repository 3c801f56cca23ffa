import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // fails the run when a test wrote the host's apt state or rewrite's originals (hermetic tests)
    globalSetup: ['test/global-setup.ts'],
    // generous: five suites share two cores on the development machine; no test asserts a duration
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Integration tests start real servers (registry, snapshot server); two cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
