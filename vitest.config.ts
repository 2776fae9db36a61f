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
          // Files share their worker's modules: a fresh module graph per file cost more CPU than the
          // tests themselves (about 110 s of CPU against 45 s shared, on 2 cores). So a test file
          // leaves process-wide state as it found it: the audit's group commit and observers, the
          // log level, process.env, timers.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          // The tests drive separate processes; their own modules (the SDK client, the harness, the
          // Node 24 check) load once per worker, not once per file.
          isolate: false,
        },
      },
    ],
  },
});
