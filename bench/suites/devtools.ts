/**
 * Issue 20's developer tools, in what a user waits for: the CLI's start and a job run through it
 * against the same call made with fetch from an already running process (what the CLI adds), and
 * `GET /openapi.json` against `GET /health` on the same server (what serving the document costs).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { startZerverless } from '../lib/processes'
import { percentile, round } from '../lib/stats'
import type { Suite } from './suite'

const run = promisify(execFile)
const CLI = path.resolve(import.meta.dirname, '../../bin/zerverless.js')
const SPAWNS = 20
const REQUESTS = 300
const JOB = { job_type: 'js', code: '6 * 7' }

interface Pair {
  p50: number
  p90: number
}

interface DevtoolsResult {
  spawns: number
  requests: number
  nodeStart: Pair
  cliList: Pair
  fetchList: Pair
  cliRun: Pair
  fetchRun: Pair
  health: Pair
  openapi: Pair
  openapiBytes: number
}

const pair = (samples: number[]): Pair => ({
  p50: round(percentile(samples, 50)),
  p90: round(percentile(samples, 90)),
})

async function timed(times: number, once: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = []
  for (let i = 0; i < times; i++) {
    const started = performance.now()
    await once()
    samples.push(performance.now() - started)
  }
  return samples
}

async function ok(response: Response): Promise<string> {
  const text = await response.text()
  if (!response.ok) throw new Error(`${response.url}: ${response.status} ${text}`)
  return text
}

export const devtools: Suite = {
  name: 'devtools',
  async run(log) {
    const server = await startZerverless(['--workers', '1'])
    try {
      await new Promise((r) => setTimeout(r, 1000)) // the internal worker connects
      const cli = (...args: string[]) => run(process.execPath, [CLI, '--url', server.url, ...args])
      log(`${SPAWNS} bare node starts, CLI listings and CLI runs, and their fetch twins`)
      const nodeStart = await timed(SPAWNS, () => run(process.execPath, ['-e', '']))
      const cliList = await timed(SPAWNS, () => cli('jobs', 'list', '--limit', '5', '--json'))
      const fetchList = await timed(SPAWNS, async () =>
        ok(await fetch(`${server.url}/api/jobs?limit=5`)),
      )
      const dir = mkdtempSync(path.join(os.tmpdir(), 'zv-bench-'))
      const file = path.join(dir, 'job.js')
      writeFileSync(file, JOB.code)
      const cliRun = await timed(SPAWNS, () => cli('run', file, '--json'))
      rmSync(dir, { recursive: true })
      const fetchRun = await timed(SPAWNS, async () =>
        ok(
          await fetch(`${server.url}/api/jobs?wait=30`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(JOB),
          }),
        ),
      )
      log(`${REQUESTS} sequential GET /health and GET /openapi.json`)
      const health = await timed(REQUESTS, async () => ok(await fetch(`${server.url}/health`)))
      let openapiBytes = 0
      const openapi = await timed(REQUESTS, async () => {
        openapiBytes = (await ok(await fetch(`${server.url}/openapi.json`))).length
      })
      return {
        spawns: SPAWNS,
        requests: REQUESTS,
        nodeStart: pair(nodeStart),
        cliList: pair(cliList),
        fetchList: pair(fetchList),
        cliRun: pair(cliRun),
        fetchRun: pair(fetchRun),
        health: pair(health),
        openapi: pair(openapi),
        openapiBytes,
      } satisfies DevtoolsResult
    } finally {
      await server.stop()
    }
  },
  table(result) {
    const r = result as DevtoolsResult
    const row = (what: string, a: Pair, b: Pair, baseline: string) =>
      `| ${what} | ${a.p50} / ${a.p90} ms | ${baseline}: ${b.p50} / ${b.p90} ms | ${round(a.p50 / b.p50)}× |`
    return [
      `One orchestrator with 1 internal worker; ${r.spawns} CLI processes per row, ${r.requests} requests per document row.`,
      '',
      '| measure, p50 / p90 | this | baseline | ratio (p50) |',
      '|---|---|---|---|',
      row('`zerverless jobs list --json` (a new process)', r.cliList, r.nodeStart, '`node -e ""`'),
      row('`zerverless jobs list --json`', r.cliList, r.fetchList, 'the same GET by fetch'),
      row(
        '`zerverless run job.js --json` (submit and wait)',
        r.cliRun,
        r.fetchRun,
        'POST ?wait= by fetch',
      ),
      row(
        `GET /openapi.json (${Math.round(r.openapiBytes / 1024)} KiB)`,
        r.openapi,
        r.health,
        'GET /health',
      ),
    ].join('\n')
  },
}
