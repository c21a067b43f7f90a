import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A poll with no timeout of its own waits 10 s, not 1 s: CI machines are loaded, and a poll that
    // waits longer only ever turns a flake into a pass, never hides a value that is wrong for good.
    expect: { poll: { timeout: 10_000 } },
    reporters: ['default'],
  },
});
