/**
 * Issue 5's figures, in one run: trivial js jobs through one Chromium tab with two sandbox
 * workers, against the same batch through two internal (Node) workers as the baseline; and the
 * time from opening the volunteer page to its first finished job, cold (fresh profile: nothing
 * cached, no service worker) and warm (the same profile again), for js and for Python.
 */
import os from 'node:os'
import type { BrowserContext } from 'playwright-core'
import { connectedAs, launchBrowser } from '../../playwright/fixtures'
import { runBatch } from '../lib/job-load'
import { startZerverless } from '../lib/processes'
import { round } from '../lib/stats'
import type { Suite } from './suite'

const TRIVIAL = { job_type: 'js', code: '1 + 1' }
const PYTHON = { job_type: 'python', code: 'sum(range(10))', timeout_seconds: 60 }
const BATCH = Number(process.env.BENCH_BROWSER_JOBS ?? 3000)

async function submit(base: string, job: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${base}/api/jobs`, { method: 'POST', body: JSON.stringify(job) })
  return ((await res.json()) as { id: string }).id
}

async function finished(base: string, id: string): Promise<void> {
  for (;;) {
    const job = (await (await fetch(`${base}/api/jobs/${id}?wait=60`)).json()) as {
      status: string
    }
    if (job.status === 'completed') return
    if (job.status !== 'pending' && job.status !== 'running')
      throw new Error(`the job ended ${job.status}`)
  }
}

/** Milliseconds from navigating to the page until jobs queued before it finish, in order. */
async function firstJobs(
  context: BrowserContext,
  base: string,
  jobs: Record<string, unknown>[],
): Promise<number[]> {
  const ids = []
  for (const job of jobs) ids.push(await submit(base, job))
  const page = await context.newPage()
  const started = performance.now()
  await page.goto(`${base}/volunteer/`)
  const times = []
  for (const id of ids) {
    await finished(base, id)
    times.push(round(performance.now() - started, 1))
  }
  await page.close()
  return times
}

export const browser: Suite = {
  name: 'browser',
  async run(log) {
    log(`baseline: ${BATCH} trivial js jobs through two internal Node workers`)
    const internal = await startZerverless(['--workers', '2'])
    let baseline
    try {
      await new Promise((r) => setTimeout(r, 1000))
      baseline = await runBatch(internal.url, TRIVIAL, BATCH)
    } finally {
      await internal.stop()
    }

    const server = await startZerverless(['--workers', '0'])
    const chromium = await launchBrowser()
    try {
      log('cold: a fresh profile opens the page; a js job, then a Python job, were queued first')
      const cold = await firstJobs(chromium.context, server.url, [TRIVIAL, PYTHON])
      log('warm: the same profile opens the page again (service worker and caches in place)')
      // Let the service worker finish installing and caching before the warm visit.
      await new Promise((r) => setTimeout(r, 2000))
      const warm = await firstJobs(chromium.context, server.url, [TRIVIAL, PYTHON])

      log(`${BATCH} trivial js jobs through one tab with two workers`)
      const page = await chromium.context.newPage()
      await page.goto(`${server.url}/volunteer/`)
      await connectedAs(page)
      await page.selectOption('[data-testid="threads"]', '2')
      await new Promise((r) => setTimeout(r, 1000))
      await connectedAs(page)
      await runBatch(server.url, TRIVIAL, 200) // warm both workers
      const tab = await runBatch(server.url, TRIVIAL, BATCH)
      return {
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        baseline,
        tab: { ...tab, ratioToNode: round(tab.jobsPerSecond / baseline.jobsPerSecond, 2) },
        firstJob: {
          coldJsMs: cold[0],
          coldPythonMs: cold[1],
          warmJsMs: warm[0],
          warmPythonMs: warm[1],
        },
      }
    } finally {
      await chromium.close()
      await server.stop()
    }
  },
  table(result) {
    const r = result as {
      baseline: { jobsPerSecond: number }
      tab: { jobsPerSecond: number; ratioToNode: number }
      firstJob: { coldJsMs: number; coldPythonMs: number; warmJsMs: number; warmPythonMs: number }
    }
    return [
      '| measure | value | vs baseline |',
      '|---|---|---|',
      `| trivial js jobs/s, two internal Node workers (baseline) | ${r.baseline.jobsPerSecond} | 1.00 |`,
      `| trivial js jobs/s, one Chromium tab with two workers | ${r.tab.jobsPerSecond} | ${r.tab.ratioToNode} |`,
      `| page open → first js job done, cold (fresh profile) | ${r.firstJob.coldJsMs} ms | |`,
      `| page open → first Python job done, cold | ${r.firstJob.coldPythonMs} ms | |`,
      `| page open → first js job done, warm (cached, service worker) | ${r.firstJob.warmJsMs} ms | |`,
      `| page open → first Python job done, warm | ${r.firstJob.warmPythonMs} ms | |`,
    ].join('\n')
  },
}
