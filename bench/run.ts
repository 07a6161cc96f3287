/**
 * `npm run bench [suite...]`: runs the suites (all by default) and writes
 * bench/results/<suite>.json and bench/results/<suite>.md. Every figure is compared with a baseline
 * measured in the same run, never with a number from another day.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { browser } from './suites/browser'
import { core } from './suites/core'
import { devtools } from './suites/devtools'
import { edge } from './suites/edge'
import { federation } from './suites/federation'
import { functions } from './suites/functions'
import { gitops } from './suites/gitops'
import { ipc } from './suites/ipc'
import { runtimes } from './suites/runtimes'
import { scale } from './suites/scale'
import { secrets } from './suites/secrets'
import { workflows } from './suites/workflows'
import type { Suite } from './suites/suite'
import { workflowsEdge } from './suites/workflows-edge'

const SUITES: Suite[] = [
  core,
  runtimes,
  functions,
  ipc,
  browser,
  edge,
  scale,
  workflows,
  workflowsEdge,
  federation,
  secrets,
  gitops,
  devtools,
]
const wanted = process.argv.slice(2)
const chosen = wanted.length ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES
if (wanted.length && chosen.length !== wanted.length) {
  console.error(`unknown suite; choose from: ${SUITES.map((s) => s.name).join(', ')}`)
  process.exit(2)
}

const out = path.resolve(import.meta.dirname, 'results')
mkdirSync(out, { recursive: true })
for (const suite of chosen) {
  console.log(`# ${suite.name}`)
  const started = Date.now()
  const result = await suite.run((step) => console.log(`  … ${step}`))
  const header = `Measured ${new Date().toISOString()} on ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, in ${Math.round((Date.now() - started) / 1000)} s.`
  const table = `${header}\n\n${suite.table(result)}\n`
  writeFileSync(path.join(out, `${suite.name}.json`), JSON.stringify(result, null, 2))
  writeFileSync(path.join(out, `${suite.name}.md`), table)
  console.log(`\n${table}`)
}
