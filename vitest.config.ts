import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'shared/**/*.test.ts',
      'edge/**/*.test.ts',
      'runner/**/*.test.ts',
      'test/**/*.test.ts',
      'web/**/*.test.ts',
      'playwright/**/*.test.ts',
    ],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
