/** Builds the Node bundles and the PWA once, so tests start the same `dist/` a user runs. */
import { execFileSync } from 'node:child_process'

export default function setup(): void {
  // Each project of vitest.config.ts runs this; the build is for the whole run.
  if (process.env.ZV_TEST_BUILT) return
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
  // vitest sets NODE_ENV=test, which would make Vite build the PWA in development mode.
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production' },
  })
  process.env.ZV_TEST_BUILT = '1'
}
