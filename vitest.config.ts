import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end tests run whole days through child processes; on two busy cores one can take tens of seconds.
    testTimeout: 120_000,
    hookTimeout: 30_000,
    // End-to-end tests spawn akictl and fake tools: two cores, keep parallelism modest.
    maxWorkers: 2,
    // Reliability scenarios marked concurrent (each with its own folder and fake API) overlap their waits.
    maxConcurrency: 3,
    // Checks the real programs tests drive (wrk, openssl, git), then prints the reliability figures table at the end.
    globalSetup: ['test/support/programs-setup.ts', 'test/reliability/support/global-setup.ts'],
  },
});
