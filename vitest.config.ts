/**
 * Two groups of test files: most run side by side (many wait on timers and sockets more than they
 * use the CPU), then the few that must have the machine to themselves run one at a time.
 */
import { defineConfig } from 'vitest/config'

/** Unit tests beside the code, each file in a fresh worker as their authors expect. */
const UNIT = ['shared/**/*.test.ts', 'edge/**/*.test.ts', 'runner/**/*.test.ts', 'web/**/*.test.ts']

/**
 * Alone, after the rest: suites that bound how long something takes on a busy machine (re-queues
 * within two heartbeats, a guest's 3 s) or measure memory (a guest overshoots its cap further when
 * its sandbox's checks run late).
 */
const ALONE = [
  'test/volunteers/churn.test.ts',
  'test/security/hostile-guests.test.ts',
  'test/security/memory-caps.test.ts',
  'playwright/memory-caps.test.ts',
]

/**
 * The Worker under real workerd: each file starts its own `wrangler dev` (a bundler, workerd and a
 * proxy), heavy enough that two or three at once on two cores starve each other's rooms and their
 * balancer of time. They run one at a time after the first group, with the files that run alone
 * (vitest runs a group's files in one pool, so projects in a group share its `maxWorkers`).
 */
const EDGE = ['test/edge/**/*.test.ts']

/** Files at once in the first group: more than the 2 cores, since most of them mostly wait. */
const WORKERS = 3

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT, maxWorkers: WORKERS, sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts', 'playwright/**/*.test.ts'],
          exclude: [...ALONE, ...EDGE],
          // These files share no module state (each builds its own core or process), so a worker
          // keeps its imports (the whole core) from one file to the next.
          isolate: false,
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'edge',
          include: EDGE,
          isolate: false,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
})
