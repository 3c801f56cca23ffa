import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers (registry, snapshot server); two cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
