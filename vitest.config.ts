import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Timeouts bound a hang; they must not measure speed: a loaded 2-core CI box runs the process-heavy tests several times slower.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests spawn real servers and processes; two cores, so keep parallelism modest.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
  },
});
