/**
 * Issue 9's scale figures, from one run on this machine.
 *
 * Many volunteers: one orchestrator (no internal workers, heartbeats every 5 s so an idle window
 * sees several rounds) and a swarm process of simulated volunteers (`volunteer-swarm.ts`). With
 * 100 and then 10,000 volunteers connected: the orchestrator's RSS (/proc VmRSS) per volunteer,
 * its CPU over an idle window (heartbeats and the liveness sweep are all it does), and dispatch
 * latency: a job submitted alone, POST /api/jobs sent → its job frame at a volunteer, on the
 * swarm's one clock. That interval holds the request, the store write and commit, the choice of a
 * volunteer and the send: everything dispatch does, and nothing of the result path.
 *
 * Deep queues: a fresh orchestrator per depth, jobs queued with no volunteer connected, then 50
 * volunteers × 4 slots that answer at once while the swarm keeps the queue topped up at that
 * depth; jobs/s dispatched (and answered) over a fixed count after a warm-up. Listing and /stats
 * latency are measured at each depth before volunteers connect, and SQLite's plan for the list
 * queries is read from the deep orchestrator's database.
 */
import os from 'node:os'
import { cpuPercentOver, cpuSeconds, rssBytes } from '../lib/proc-stats'
import { startZerverless, type Served } from '../lib/processes'
import { listQueryPlans, type QueryPlan } from '../lib/query-plans'
import { sequentialLatency } from '../lib/request-latency'
import { percentile, round } from '../lib/stats'
import { startSwarm, type Swarm } from '../lib/swarm-process'
import type { FeedResult, ProbeResult } from '../lib/volunteer-swarm'
import type { Suite } from './suite'

const FEW = 100
const MANY = Number(process.env.BENCH_SCALE_VOLUNTEERS ?? 10_000)
const HEARTBEAT_S = 5
const IDLE_WINDOW_MS = Number(process.env.BENCH_SCALE_IDLE_SECONDS ?? 20) * 1000
const PROBES = 300
const PROBE_GAP_MS = 10
const SHALLOW = 100
const DEEP = Number(process.env.BENCH_SCALE_DEEP ?? 100_000)
const FEED_VOLUNTEERS = 50
const FEED_CONCURRENCY = 4
const FEED_WARMUP = 3_000
const FEED_JOBS = Number(process.env.BENCH_SCALE_FEED_JOBS ?? 20_000)
/** Shallow and deep runs alternate this many times; the best jobs/s of each depth is compared. */
const REPEAT = Number(process.env.BENCH_SCALE_REPEAT ?? 2)
const LIST_REQUESTS = 200
/** The swarm exits by itself after this long, whatever happens to the suite. */
const SWARM_MAX_SECONDS = 300

interface Latency {
  p50Ms: number
  p99Ms: number
}

type Cpu = Awaited<ReturnType<typeof cpuPercentOver>>

interface CrowdStep {
  volunteers: number
  connectMs: number
  rssMiB: number
  cpu: Cpu
  /** Heartbeats the swarm sent during the idle window, and the orchestrator's CPU per heartbeat. */
  heartbeats: number
  cpuMicrosPerHeartbeat: number
  dispatch: Latency & { responseP50Ms: number; samples: number }
}

interface DepthRun {
  depth: number
  queueMs: number
  feed: FeedResult
  /** The orchestrator's CPU time per job while timed (steadier than jobs/s on a shared machine). */
  cpuMicrosPerJob: number
  listing?: Record<string, Latency>
}

const mib = (bytes: number) => round(bytes / 2 ** 20, 1)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const summarize = (p: ProbeResult) => ({
  p50Ms: round(percentile(p.toFrameMs, 50), 3),
  p99Ms: round(percentile(p.toFrameMs, 99), 3),
  responseP50Ms: round(percentile(p.toResponseMs, 50), 3),
  samples: p.toFrameMs.length,
})

async function withProcesses<T>(
  args: string[],
  body: (server: Served, swarm: Swarm) => Promise<T>,
): Promise<T> {
  const server = await startZerverless(['--workers', '0', '--log-level', 'warn', ...args])
  let swarm: Swarm | undefined
  try {
    swarm = await startSwarm(server.url, SWARM_MAX_SECONDS)
    return await body(server, swarm)
  } finally {
    await swarm?.stop()
    await server.stop()
  }
}

async function connectedVolunteers(url: string): Promise<number> {
  const stats = (await (await fetch(`${url}/stats`)).json()) as { volunteers: { idle: number } }
  return stats.volunteers.idle
}

async function manyVolunteers(log: (step: string) => void) {
  return withProcesses(['--heartbeat-interval', String(HEARTBEAT_S)], async (server, swarm) => {
    await sleep(2_000)
    const rssEmpty = mib(rssBytes(server.pid))
    log(`no volunteers: idle CPU over ${IDLE_WINDOW_MS / 2000} s`)
    const empty = { rssMiB: rssEmpty, cpu: await cpuPercentOver(server.pid, IDLE_WINDOW_MS / 2) }
    const steps: CrowdStep[] = []
    for (const target of [FEW, MANY]) {
      log(`${target} volunteers: connecting`)
      const connected = await swarm.connect(target - steps.length * FEW)
      if (connected.open !== target)
        throw new Error(`wanted ${target} volunteers, ${connected.open} connected`)
      const seen = await connectedVolunteers(server.url)
      if (seen !== target) throw new Error(`/stats shows ${seen} idle volunteers, not ${target}`)
      if (steps.length === 0) await swarm.probe(100, 2) // warm the dispatch path before timing it
      log(`${target} volunteers: idle CPU over ${IDLE_WINDOW_MS / 1000} s`)
      const beatsBefore = (await swarm.stats()).heartbeats
      const cpu = await cpuPercentOver(server.pid, IDLE_WINDOW_MS)
      const heartbeats = (await swarm.stats()).heartbeats - beatsBefore
      const rssMiB = mib(rssBytes(server.pid))
      log(`${target} volunteers: ${PROBES} jobs one at a time`)
      const dispatch = summarize(await swarm.probe(PROBES, PROBE_GAP_MS))
      steps.push({
        volunteers: target,
        connectMs: connected.ms,
        rssMiB,
        cpu,
        heartbeats,
        cpuMicrosPerHeartbeat: round(
          ((cpu.percent - empty.cpu.percent) * IDLE_WINDOW_MS * 10) / Math.max(1, heartbeats),
          1,
        ),
        dispatch,
      })
    }
    const swarmStats = await swarm.stats()
    const [few, many] = steps as [CrowdStep, CrowdStep]
    const perVolunteerKiB = round(((many.rssMiB - few.rssMiB) * 1024) / (MANY - FEW), 1)
    return {
      heartbeatIntervalSeconds: HEARTBEAT_S,
      idleWindowSeconds: IDLE_WINDOW_MS / 1000,
      empty,
      steps,
      perVolunteerKiB,
      /** Heartbeats are the only per-volunteer work while idle: the CPU above the empty server's. */
      heartbeatCpuPercent: round(many.cpu.percent - empty.cpu.percent, 2),
      heartbeatCpuPercentAtDefaultInterval: round(
        ((many.cpu.percent - empty.cpu.percent) * HEARTBEAT_S) / 15,
        2,
      ),
      dispatchP50Ratio: round(many.dispatch.p50Ms / few.dispatch.p50Ms, 2),
      swarm: swarmStats,
    }
  })
}

async function depthRun(depth: number, first: boolean, log: (step: string) => void) {
  return withProcesses(['--max-pending-jobs', String(2 * DEEP)], async (server, swarm) => {
    log(`${depth} pending: queueing`)
    const queued = await swarm.queue(depth)
    let listing: Record<string, Latency> | undefined
    let plans: Record<string, QueryPlan[]> | undefined
    if (first) {
      await sleep(2_000) // let the garbage of queueing be collected before timing requests
      listing = {}
      for (const route of LIST_ROUTES)
        listing[route] = await sequentialLatency(`${server.url}${route}`, LIST_REQUESTS)
      plans = listQueryPlans(server.dataDir as string, {
        'GET /api/jobs?limit=20': { limit: 20, offset: 0 },
        'GET /api/jobs?status=pending&limit=20': { status: 'pending', limit: 20, offset: 0 },
        'GET /api/jobs?namespace=default&limit=20': { namespace: 'default', limit: 20, offset: 0 },
      })
    }
    log(`${depth} pending: ${FEED_VOLUNTEERS} volunteers × ${FEED_CONCURRENCY}, ${FEED_JOBS} jobs`)
    await swarm.connect(FEED_VOLUNTEERS, FEED_CONCURRENCY)
    const feedFor = (jobs: number) =>
      swarm.feed({ keepWaiting: depth, warmupJobs: 0, measureJobs: jobs, maxSeconds: 90 })
    await feedFor(FEED_WARMUP)
    const cpuBefore = cpuSeconds(server.pid)
    const feed = await feedFor(FEED_JOBS)
    const cpuMicrosPerJob = Math.round(((cpuSeconds(server.pid) - cpuBefore) * 1e6) / feed.jobs)
    const swarmStats = await swarm.stats()
    await swarm.closeAll()
    const run: DepthRun = { depth, queueMs: queued.ms, feed, cpuMicrosPerJob, listing }
    return { run, plans, swarm: swarmStats }
  })
}

const LIST_ROUTES = [
  '/stats',
  '/api/jobs?limit=20',
  '/api/jobs?status=pending&limit=20',
  '/api/jobs?namespace=default&limit=20',
]

async function deepQueues(log: (step: string) => void) {
  const runs: Awaited<ReturnType<typeof depthRun>>[] = []
  for (let i = 0; i < REPEAT; i++)
    for (const depth of [SHALLOW, DEEP]) runs.push(await depthRun(depth, i === 0, log))
  const best = (depth: number) =>
    runs
      .filter((r) => r.run.depth === depth)
      .reduce((a, b) => (b.run.feed.jobsPerSecond > a.run.feed.jobsPerSecond ? b : a))
  const [shallow, deep] = [best(SHALLOW), best(DEEP)]
  const listed = (depth: number) =>
    runs.find((r) => r.run.depth === depth && r.run.listing)?.run.listing as Record<string, Latency>
  return {
    shallow: shallow.run,
    deep: deep.run,
    runs: runs.map((r) => r.run),
    throughputRatio: round(deep.run.feed.jobsPerSecond / shallow.run.feed.jobsPerSecond, 2),
    cpuPerJobRatio: round(deep.run.cpuMicrosPerJob / shallow.run.cpuMicrosPerJob, 2),
    listing: { shallow: listed(SHALLOW), deep: listed(DEEP) },
    plans: runs.find((r) => r.plans && r.run.depth === DEEP)?.plans as Record<string, QueryPlan[]>,
    /** /stats reads the scheduler's in-memory counts (Scheduler.statusCounts): no SQL at all. */
    statsSource: 'in-memory counts',
    swarm: { shallow: shallow.swarm, deep: deep.swarm },
  }
}

export const scale: Suite = {
  name: 'scale',
  async run(log) {
    const crowd = await manyVolunteers(log)
    const queues = await deepQueues(log)
    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      crowd,
      queues,
    }
  },
  table(result) {
    const { crowd: c, queues: q } = result as {
      crowd: Awaited<ReturnType<typeof manyVolunteers>>
      queues: Awaited<ReturnType<typeof deepQueues>>
    }
    const [few, many] = c.steps as [CrowdStep, CrowdStep]
    const mark = (ok: boolean) => (ok ? 'met' : '**missed**')
    const cpu = (x: Cpu) => `${x.percent} % (user ${x.user}, sys ${x.system})`
    const listRow = (route: string) => {
      const s = q.listing.shallow[route] as Latency
      const d = q.listing.deep[route] as Latency
      return `| \`GET ${route}\` p50 / p99 (${LIST_REQUESTS} in a row) | ${s.p50Ms} / ${s.p99Ms} ms | ${d.p50Ms} / ${d.p99Ms} ms | p50 ${round(d.p50Ms / s.p50Ms, 2)}× | |`
    }
    const plans = Object.entries(q.plans).map(
      ([name, steps]) => `- ${name}: ${steps.map((p) => p.plan.join('; ')).join(' + ')}`,
    )
    const runs = (depth: number) =>
      q.runs
        .filter((r) => r.depth === depth)
        .map((r) => r.feed.jobsPerSecond)
        .join(', ')
    return [
      `Many volunteers (heartbeat every ${c.heartbeatIntervalSeconds} s, idle window ${c.idleWindowSeconds} s; dispatch latency = POST /api/jobs sent → its job frame at a volunteer, ${few.dispatch.samples} jobs one at a time, timed in the swarm process):`,
      '',
      `| measure | ${few.volunteers} volunteers | ${many.volunteers} volunteers | ratio / per volunteer | target |`,
      '|---|---|---|---|---|',
      `| orchestrator RSS (empty: ${c.empty.rssMiB} MiB) | ${few.rssMiB} MiB | ${many.rssMiB} MiB | ${c.perVolunteerKiB} KiB per volunteer | ≤ 30 KiB: ${mark(c.perVolunteerKiB <= 30)} |`,
      `| orchestrator CPU while idle, % of a core (empty: ${cpu(c.empty.cpu)}) | ${cpu(few.cpu)} | ${cpu(many.cpu)} | heartbeats ${c.heartbeatCpuPercent} % (${many.cpuMicrosPerHeartbeat} µs each, ${many.heartbeats} in the window); at the default 15 s: ${c.heartbeatCpuPercentAtDefaultInterval} % | < 10 %: ${mark(c.heartbeatCpuPercent < 10)} at ${c.heartbeatIntervalSeconds} s, ${mark(c.heartbeatCpuPercentAtDefaultInterval < 10)} at 15 s |`,
      `| dispatch latency p50 / p99 | ${few.dispatch.p50Ms} / ${few.dispatch.p99Ms} ms | ${many.dispatch.p50Ms} / ${many.dispatch.p99Ms} ms | p50 ${c.dispatchP50Ratio}× | ≤ 1.5×: ${mark(c.dispatchP50Ratio <= 1.5)} |`,
      `| POST /api/jobs → 201, p50 | ${few.dispatch.responseP50Ms} ms | ${many.dispatch.responseP50Ms} ms | | |`,
      `| connecting (swarm, 200 upgrades at a time) | ${few.connectMs} ms | ${many.connectMs} ms (the other ${many.volunteers - few.volunteers}) | | |`,
      '',
      `Deep queues (${FEED_VOLUNTEERS} volunteers × ${FEED_CONCURRENCY} slots answering at once, queue kept topped up at its depth, ${q.deep.feed.jobs} jobs timed after ${FEED_WARMUP} warm-up; fresh orchestrator per run, ${REPEAT} alternating runs per depth, best shown):`,
      '',
      `| measure | ${q.shallow.depth} pending | ${q.deep.depth} pending | deep / shallow | target |`,
      '|---|---|---|---|---|',
      `| jobs/s dispatched and answered (all runs) | ${q.shallow.feed.jobsPerSecond} (${runs(q.shallow.depth)}) | ${q.deep.feed.jobsPerSecond} (${runs(q.deep.depth)}) | ${q.throughputRatio} | ≥ 0.8: ${mark(q.throughputRatio >= 0.8)} |`,
      `| orchestrator CPU per job | ${q.shallow.cpuMicrosPerJob} µs | ${q.deep.cpuMicrosPerJob} µs | ${q.cpuPerJobRatio} | |`,
      `| jobs waiting while timed (min–max) | ${q.shallow.feed.minWaiting}–${q.shallow.feed.maxWaiting} | ${q.deep.feed.minWaiting}–${q.deep.feed.maxWaiting} | | |`,
      `| queueing them with no volunteer (POST /api/jobs/batch, ≤ 10,000 each) | ${q.shallow.queueMs} ms | ${q.deep.queueMs} ms | | |`,
      ...LIST_ROUTES.map(listRow),
      '',
      `Query plans at ${q.deep.depth} pending (EXPLAIN QUERY PLAN of the SQL Scheduler.list sends: the page, then the total's COUNT unless it is known in memory; /stats reads ${q.statsSource}, no SQL):`,
      '',
      ...plans,
      '',
      'A bare `SCAN jobs` under `ORDER BY seq DESC LIMIT` walks the rowid (seq) B-tree from its end and stops after LIMIT + OFFSET rows; an unfiltered `COUNT(*)` counts B-tree pages, not rows. A total counted with a filter walks every matching index entry, so a namespace-filtered listing still costs O(jobs in the namespace).',
    ].join('\n')
  },
}
