import { defineConfig } from 'vitest/config';

/**
 * Two projects. `unit`: the tests beside the sources, in-process (no build needed). `e2e`: test/**,
 * real processes (the CLI, fronts, fixture and npm servers, the sandbox), which run built JavaScript:
 * its global setup brings dist/ up to date first.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts'],
      // The per-file table goes to coverage/index.html: printed, it pushed the failing tests out of
      // the tail of CI's log, the only part CI shows.
      reporter: ['text-summary', 'html', 'json-summary'],
      reportsDirectory: 'coverage',
      reportOnFailure: true,
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          // The files of a worker share one module graph: importing the SDK, zod and the detector once
          // per worker instead of once per file is most of the project's time. Process-wide state
          // (the audit's group commit, one per process as in the gateway) is then shared too: each
          // test closes what it opens, and the setup fails a file that leaves a failing audit log open.
          isolate: false,
          setupFiles: ['test/unit-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
