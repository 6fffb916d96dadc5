import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start servers on loopback; run files one at a time on 2 cores.
    fileParallelism: false,
    // A temporary HOME for the run: tests never touch the real one.
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
