import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'images/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // End-to-end files share the machine's CPUs with real OpenVPN and Chromium: keep them few at a time.
    maxWorkers: 2,
  },
});
