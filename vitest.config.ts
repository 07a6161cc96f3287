/**
 * Two groups of test files: most run side by side (many wait on timers and sockets more than they
 * use the CPU), then the few that must have the machine to themselves run one at a time.
 */
import { defineConfig } from 'vitest/config'

const ALL = [
  'shared/**/*.test.ts',
  'edge/**/*.test.ts',
  'runner/**/*.test.ts',
  'test/**/*.test.ts',
  'web/**/*.test.ts',
  'playwright/**/*.test.ts',
]

/**
 * Alone, after the rest: suites that bound how long something takes (re-queues within two
 * heartbeats, a guest's 3 s), load the machine on purpose (kill -9 under load), measure a
 * process's memory, or drive Chromium.
 */
const ALONE = [
  'test/volunteers/churn.test.ts',
  'test/jobs/crash.test.ts',
  'test/security/memory-caps.test.ts',
  'test/security/hostile-guests.test.ts',
  'playwright/**/*.test.ts',
]

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'side-by-side',
          include: ALL,
          exclude: ALONE,
          maxWorkers: 3,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'alone',
          include: ALONE,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
