/**
 * Issue 5's and 16's figures, in one run: trivial js jobs through one Chromium tab with two
 * sandbox workers against two internal (Node) workers, alternated batch by batch so both see the
 * same load on the shared cores, with the CPU each process spent per job (read from /proc, which
 * the machine's noise moves less than jobs/s); and the time from opening the volunteer page to
 * its first finished job, cold (fresh profile) and warm (the same profile again), for js and Python.
 *
 * The tab is measured as a volunteer runs it: plain headless Chromium with no DevTools attached.
 * Driven through DevTools (as playwright drives it), every WebSocket frame is also reported to the
 * driver, which costs the tab's processes and the driver more than the jobs themselves; that
 * figure is measured once too, apart.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { CHROMIUM, CHROMIUM_FLAGS, connectedAs, launchBrowser } from '../../playwright/fixtures'
import { runBatch } from '../lib/job-load'
import { readProc, statFields, threadSeconds } from '../lib/proc-read'
import { startZerverless } from '../lib/processes'
import { round } from '../lib/stats'
import type { Suite } from './suite'

const TRIVIAL = { job_type: 'js', code: '1 + 1' }
const PYTHON = { job_type: 'python', code: 'sum(range(10))', timeout_seconds: 60 }
const BATCH = Number(process.env.BENCH_BROWSER_JOBS ?? 1500)
const ROUNDS = Number(process.env.BENCH_BROWSER_ROUNDS ?? 3)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

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

/**
 * CPU seconds so far in the trees of `roots` (this process left out), by process kind and thread
 * kind ("chromium renderer main"); threads that ended are not counted.
 */
type ProcessTimes = Map<string, number>

/** What a process is: Chromium's `--type` (its utility's service), else its script's name. */
function kindOf(pid: number): string {
  let argv = (readProc(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean)
  // Chromium rewrites its children's command lines into one string.
  if (argv.length === 1) argv = (argv[0] ?? '').split(' ')
  const flag = (name: string) => argv.find((a) => a.startsWith(name))?.slice(name.length)
  const type = flag('--type=')
  if (type) return `chromium ${flag('--utility-sub-type=')?.split('.').pop() ?? type}`
  if (argv[0]?.includes('chromium')) return 'chromium browser'
  const script = argv.find((a) => /\.(m?js|ts)$/.test(a))
  return script ? path.basename(script) : path.basename(argv[0] ?? '?')
}

/** A process's main thread, its Web Workers (Chromium names them), or its other threads. */
function threadKind(pid: number, tid: string): string {
  if (tid === String(pid)) return 'main'
  return readProc(`/proc/${pid}/task/${tid}/comm`)?.startsWith('DedicatedWorker')
    ? 'workers'
    : 'threads'
}

function processTimes(roots: number[]): ProcessTimes {
  const parent = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    const stat = Number.isInteger(Number(entry)) && readProc(`/proc/${entry}/stat`)
    if (stat) parent.set(Number(entry), Number(statFields(stat)[1]))
  }
  const inTree = (pid: number) => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p))
      if (roots.includes(p)) return true
    return false
  }
  const times: ProcessTimes = new Map()
  for (const pid of parent.keys()) {
    // This process is counted apart (process.cpuUsage), its children here.
    if (pid === process.pid || !inTree(pid)) continue
    const kind = kindOf(pid)
    for (const [tid, seconds] of threadSeconds(pid)) {
      const key = `${kind} ${threadKind(pid, String(tid))}`
      times.set(key, (times.get(key) ?? 0) + seconds)
    }
  }
  return times
}

/** CPU µs per job of each process and thread kind between two readings, largest first. */
function perJob(before: ProcessTimes, after: ProcessTimes, jobs: number): Record<string, number> {
  const rows = [...after].map(([kind, s]): [string, number] => [
    kind,
    Math.round(((s - (before.get(kind) ?? 0)) * 1e6) / jobs),
  ])
  return Object.fromEntries(rows.filter(([, us]) => us >= 5).sort((a, b) => b[1] - a[1]))
}

interface Measured {
  jobsPerSecond: number
  /** CPU µs per job by process kind, and the bench process itself (the load, a DevTools driver). */
  cpuPerJob: Record<string, number>
}

/** One batch, with the CPU the processes under `roots` and this one spent on it. */
async function measure(url: string, roots: number[]): Promise<Measured> {
  const before = processTimes(roots)
  const self = process.cpuUsage()
  const batch = await runBatch(url, TRIVIAL, BATCH)
  const cpuPerJob = perJob(before, processTimes(roots), BATCH)
  const driver = process.cpuUsage(self)
  cpuPerJob['bench process'] = Math.round((driver.user + driver.system) / BATCH)
  return { jobsPerSecond: batch.jobsPerSecond, cpuPerJob }
}

/** Plain headless Chromium on `url` with `profile`: no DevTools, as a volunteer runs it. */
function plainChromium(
  profile: string,
  url: string,
): { child: ChildProcess; stop(): Promise<void> } {
  const child = spawn(
    CHROMIUM,
    ['--headless', ...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, url],
    {
      stdio: 'ignore',
    },
  )
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null || !child.pid) return
      const exited = new Promise((r) => child.once('exit', r))
      process.kill(child.pid, 'SIGTERM')
      await Promise.race([exited, sleep(5000)])
    },
  }
}

/** Waits until a browser volunteer with `threads` threads is connected to `url`. */
async function tabConnected(url: string, threads: number): Promise<void> {
  for (const end = Date.now() + 30_000; Date.now() < end; await sleep(100)) {
    const { volunteers } = (await (await fetch(`${url}/api/volunteers`)).json()) as {
      volunteers: { agent: { kind: string }; concurrency: number }[]
    }
    if (volunteers.some((v) => v.agent.kind === 'browser' && v.concurrency === threads)) return
  }
  throw new Error(`no tab with ${threads} threads connected to ${url}`)
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0

/** The median round's figures: per-round medians of jobs/s and of each process's CPU. */
function summary(rounds: Measured[]): Measured {
  const kinds = new Set(rounds.flatMap((r) => Object.keys(r.cpuPerJob)))
  return {
    jobsPerSecond: median(rounds.map((r) => r.jobsPerSecond)),
    cpuPerJob: Object.fromEntries(
      [...kinds]
        .map((k): [string, number] => [k, median(rounds.map((r) => r.cpuPerJob[k] ?? 0))])
        .filter(([, us]) => us > 0)
        .sort((a, b) => b[1] - a[1]),
    ),
  }
}

const cpuTotal = (m: Measured) => Object.values(m.cpuPerJob).reduce((a, b) => a + b, 0)
const cpuText = (m: Measured) =>
  Object.entries(m.cpuPerJob)
    .map(([kind, us]) => `${kind} ${us}`)
    .join(', ')

export const browser: Suite = {
  name: 'browser',
  async run(log) {
    const internal = await startZerverless(['--workers', '2'])
    const server = await startZerverless(['--workers', '0'])
    const chromium = await launchBrowser()
    let plain: ReturnType<typeof plainChromium> | undefined
    const profile = mkdtempSync(path.join(os.tmpdir(), 'zv-bench-tab-'))
    try {
      log('cold: a fresh profile opens the page; a js job, then a Python job, were queued first')
      const cold = await firstJobs(chromium.context, server.url, [TRIVIAL, PYTHON])
      log('warm: the same profile opens the page again (service worker and caches in place)')
      // Let the service worker finish installing and caching before the warm visit.
      await sleep(2000)
      const warm = await firstJobs(chromium.context, server.url, [TRIVIAL, PYTHON])
      await chromium.close()

      log('a tab driven through DevTools, two threads (kept in its profile for the plain tab)')
      const driven = await launchBrowser(profile)
      let devtools: Measured
      try {
        const page = await driven.context.newPage()
        await page.goto(`${server.url}/volunteer/`)
        await connectedAs(page)
        await page.selectOption('[data-testid="threads"]', '2')
        await tabConnected(server.url, 2)
        await runBatch(server.url, TRIVIAL, 200) // warm both workers
        // Playwright's Chromium is this process's child: its whole tree is counted.
        devtools = await measure(server.url, [process.pid])
      } finally {
        await driven.close()
      }

      log(`${ROUNDS} rounds of ${BATCH} trivial js jobs: two internal workers, then a plain tab`)
      plain = plainChromium(profile, `${server.url}/volunteer/`)
      await tabConnected(server.url, 2)
      await runBatch(server.url, TRIVIAL, 200)
      await runBatch(internal.url, TRIVIAL, 200)
      const node: Measured[] = []
      const tab: Measured[] = []
      for (let i = 0; i < ROUNDS; i++) {
        node.push(await measure(internal.url, [internal.pid]))
        tab.push(await measure(server.url, [server.pid, plain.child.pid ?? 0]))
        log(`round ${i + 1}: node ${node[i]?.jobsPerSecond} jobs/s, tab ${tab[i]?.jobsPerSecond}`)
      }
      const ratios = tab.map((t, i) => t.jobsPerSecond / (node[i]?.jobsPerSecond ?? 1))
      const baseline = summary(node)
      const tabs = summary(tab)
      return {
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        batch: BATCH,
        rounds: { node, tab },
        baseline,
        tab: { ...tabs, ratioToNode: round(median(ratios), 2) },
        devtools: {
          ...devtools,
          ratioToNode: round(devtools.jobsPerSecond / baseline.jobsPerSecond, 2),
        },
        firstJob: {
          coldJsMs: cold[0],
          coldPythonMs: cold[1],
          warmJsMs: warm[0],
          warmPythonMs: warm[1],
        },
      }
    } finally {
      await plain?.stop()
      await chromium.close().catch(() => undefined)
      rmSync(profile, { recursive: true, force: true })
      await server.stop()
      await internal.stop()
    }
  },
  table(result) {
    const r = result as {
      baseline: Measured
      tab: Measured & { ratioToNode: number }
      devtools: Measured & { ratioToNode: number }
      firstJob: { coldJsMs: number; coldPythonMs: number; warmJsMs: number; warmPythonMs: number }
    }
    const row = (what: string, m: Measured, ratio: number | string) =>
      `| ${what} | ${m.jobsPerSecond} | ${ratio} | ${cpuTotal(m)}: ${cpuText(m)} |`
    return [
      '| measure | jobs/s | vs baseline | CPU µs per job, by process and thread |',
      '|---|---|---|---|',
      row('trivial js, two internal Node workers (baseline)', r.baseline, '1.00'),
      row('trivial js, one Chromium tab with two workers', r.tab, r.tab.ratioToNode),
      row('the same tab driven through DevTools (playwright)', r.devtools, r.devtools.ratioToNode),
      '',
      '| first job after opening the page | ms |',
      '|---|---|',
      `| js, cold (fresh profile) | ${r.firstJob.coldJsMs} |`,
      `| Python, cold | ${r.firstJob.coldPythonMs} |`,
      `| js, warm (cached, service worker) | ${r.firstJob.warmJsMs} |`,
      `| Python, warm | ${r.firstJob.warmPythonMs} |`,
    ].join('\n')
  },
}
