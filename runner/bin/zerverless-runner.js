#!/usr/bin/env node
// Runs the bundled runner; `npm install` builds it (the prepare script), `npm run build` rebuilds it.
import { existsSync } from 'node:fs'

const cli = new URL('../../dist/node/runner.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('zerverless-runner: dist/ is missing; run `npm run build` first')
  process.exit(1)
}
await import(cli.href)
