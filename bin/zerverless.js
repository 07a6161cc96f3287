#!/usr/bin/env node
// Runs the bundled CLI; `npm install` builds it (the prepare script), `npm run build` rebuilds it.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/node/cli.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('zerverless: dist/ is missing; run `npm run build` first')
  process.exit(1)
}
await import(cli.href)
