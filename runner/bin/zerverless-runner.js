#!/usr/bin/env node
// Runs the bundled runner: in the package it is dist/cli.js beside this folder; in the repository,
// `npm run build` (or any test run) makes it.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(cli)) {
  console.error('zerverless-runner: dist/cli.js is missing; run `npm run build` in the repository')
  process.exit(1)
}
await import(cli.href)
