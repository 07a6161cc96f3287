/**
 * The edge host against the Node host, in one run: trivial js jobs (one batch) and a trivial js
 * function through the Worker under local workerd (`wrangler dev`, ROOMS job rooms) and through
 * `zerverless` on Node (the baseline), each served by the same real `zerverless --worker`
 * processes; and how job throughput changes when the same jobs are spread over namespaces that
 * hash to different job rooms.
 */
import os from 'node:os'
import path from 'node:path'
import { startEdge } from '../../test/helpers/edge-process'
import { roomOf } from '../../edge/workers/room-routing'
import { startHost, type HostKind } from '../lib/hosts'
import { cpuByGroup, microsPer, type CpuByGroup } from '../lib/process-tree-cpu'
import { measureRate, type RateResult } from '../lib/http-load'
import { runBatch } from '../lib/job-load'
import { percentile, round } from '../lib/stats'
import { startFleet, type VolunteerFleet } from '../lib/volunteer-fleet'
import type { Suite } from './suite'

const ROOMS = Number(process.env.BENCH_EDGE_ROOMS ?? 4)
const PROCESSES = Number(process.env.BENCH_EDGE_WORKERS ?? 4)
const PER_PROCESS = 2
const JOBS = Number(process.env.BENCH_EDGE_JOBS ?? 2000)
/** One full unmeasured run of each layout first: shorter warm-ups left the first runs slower. */
const WARMUP_JOBS = JOBS
const REPEAT = Number(process.env.BENCH_EDGE_REPEAT ?? 3)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const CONNECTIONS = 32
const MAX_WARMUP_WINDOWS = 8
const CODE = 'INPUT.n * 2'
const FUNCTION = {
  user: 'bench',
  path: 'ok',
  runtime: 'js',
  code: "function handle(req) { return {status: 200, body: 'ok'} }",
}

interface BatchRun {
  namespaces: number
  jobs: number
  failed: number
  seconds: number
  jobsPerSecond: number
  /** Volunteers the balancer moved between rooms during the run (always 0 on Node). */
  moves: number
}

interface HostFigures {
  oneNamespace: { jobsPerSecond: number; runs: BatchRun[] }
  spread: { jobsPerSecond: number; runs: BatchRun[] }
  invocation: RateResult & {
    moves: number
    warmUpWindows: number[]
    /** CPU µs per call, by process (see `processOf`); `self` is the load generator. */
    cpuMicros: CpuByGroup
  }
  /** The HTTP path alone (no volunteer involved), at the same concurrency. */
  health: RateResult
}

/**
 * Which process a benchmark's CPU went to: under `wrangler dev`, workerd runs wrangler's proxy
 * Worker (the port clients reach) and, in a second process, ours (the front and the rooms).
 */
export function processOf(commandLine: string): string | undefined {
  if (commandLine.includes('workerd'))
    return commandLine.includes('entry=127.0.0.1:0 ') ? 'workerd' : 'workerd (wrangler proxy)'
  if (commandLine.includes('wrangler-dist/cli.js')) return 'wrangler'
  if (/\s--worker\s/.test(commandLine) || commandLine.includes('worker-host-process'))
    return 'volunteers'
  if (commandLine.includes('zerverless')) return 'orchestrator'
  return undefined
}

/** One namespace per room, `bench-ns-<k>` with the smallest k that lands there (FNV-1a). */
function namespacesInDistinctRooms(rooms: number): string[] {
  const byRoom = new Map<number, string>()
  for (let k = 0; byRoom.size < rooms; k++) {
    const namespace = `bench-ns-${k}`
    const room = roomOf(namespace, rooms)
    if (!byRoom.has(room)) byRoom.set(room, namespace)
  }
  return [...byRoom.entries()].sort(([a], [b]) => a - b).map(([, namespace]) => namespace)
}

const NAMESPACES = namespacesInDistinctRooms(ROOMS)

/** `total` jobs split evenly over `namespaces`, one batch each, all submitted at once. */
async function batchesIn(
  url: string,
  fleet: VolunteerFleet,
  namespaces: string[],
  total: number,
): Promise<BatchRun> {
  await fleet.settled(url)
  const movesBefore = fleet.moves()
  const each = Math.floor(total / namespaces.length)
  const started = performance.now()
  const runs = await Promise.all(
    namespaces.map((namespace) => runBatch(url, { job_type: 'js', code: CODE, namespace }, each)),
  )
  const seconds = (performance.now() - started) / 1000
  const jobs = each * namespaces.length
  return {
    namespaces: namespaces.length,
    jobs,
    failed: runs.reduce((n, r) => n + r.failed, 0),
    seconds: round(seconds),
    jobsPerSecond: Math.round(jobs / seconds),
    moves: fleet.moves() - movesBefore,
  }
}

/** The median run (the lower middle one for an even count): one stalled run does not skew it. */
const median = (runs: BatchRun[]) =>
  percentile(
    runs.map((r) => r.jobsPerSecond),
    50,
  )

/**
 * Loads the function in one-second windows until the rate stops climbing and no volunteer moved
 * (on the edge they first have to move to the function's room), at most 8 windows. Returns each
 * window's req/s.
 */
async function warmUp(url: string, fleet: VolunteerFleet): Promise<number[]> {
  const rates: number[] = []
  for (let i = 0; i < MAX_WARMUP_WINDOWS; i++) {
    const moves = fleet.moves()
    const { requestsPerSecond } = await measureRate(url, 1, CONNECTIONS)
    const previous = rates.at(-1)
    rates.push(requestsPerSecond)
    if (previous !== undefined && fleet.moves() === moves && requestsPerSecond <= previous * 1.1)
      break
  }
  return rates
}

async function measureHost(kind: HostKind, log: (step: string) => void): Promise<HostFigures> {
  log(`${kind}: starting the host and ${PROCESSES} worker processes × ${PER_PROCESS} volunteers`)
  const host = await startHost(kind, { rooms: ROOMS })
  let fleet: VolunteerFleet | undefined
  try {
    fleet = startFleet(host.wsUrl, PROCESSES, PER_PROCESS)
    log(`${kind}: warm-up (${WARMUP_JOBS} jobs in one namespace, then spread)`)
    await batchesIn(host.url, fleet, NAMESPACES.slice(0, 1), WARMUP_JOBS)
    await batchesIn(host.url, fleet, NAMESPACES, WARMUP_JOBS)

    const one: BatchRun[] = []
    const spread: BatchRun[] = []
    for (let i = 0; i < REPEAT; i++) {
      // Alternated, so neither layout always inherits the volunteers' placement from the other.
      log(
        `${kind}: ${JOBS} jobs in 1 namespace, then over ${NAMESPACES.length} (${i + 1}/${REPEAT})`,
      )
      one.push(await batchesIn(host.url, fleet, NAMESPACES.slice(0, 1), JOBS))
      spread.push(await batchesIn(host.url, fleet, NAMESPACES, JOBS))
    }

    log(`${kind}: function invocation, ${CONNECTIONS} connections for ${SECONDS} s`)
    const { user, path, ...deployment } = FUNCTION
    const deployed = await fetch(`${host.url}/api/deploy/${user}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(deployment),
    })
    if (!deployed.ok) throw new Error(`deploy failed: ${deployed.status} ${await deployed.text()}`)
    await fleet.settled(host.url)
    const warmUpWindows = await warmUp(`${host.url}/${user}/${path}`, fleet)
    const movesBefore = fleet.moves()
    const cpuBefore = cpuByGroup(processOf)
    const rate = await measureRate(`${host.url}/${user}/${path}`, SECONDS, CONNECTIONS)
    const cpuMicros = microsPer(cpuBefore, cpuByGroup(processOf), rate.requestsPerSecond * SECONDS)
    const moves = fleet.moves() - movesBefore
    log(`${kind}: GET /health, ${CONNECTIONS} connections for ${SECONDS} s`)
    const health = await measureRate(`${host.url}/health`, SECONDS, CONNECTIONS)
    return {
      oneNamespace: { jobsPerSecond: median(one), runs: one },
      spread: { jobsPerSecond: median(spread), runs: spread },
      invocation: { ...rate, moves, warmUpWindows, cpuMicros },
      health,
    }
  } finally {
    await fleet?.stop()
    await host.stop()
  }
}

/** The smallest Worker under `wrangler dev`: how fast the local dev runtime answers at all. */
async function measureCeiling(log: (step: string) => void): Promise<RateResult> {
  log(`reference: a Worker that answers "ok", ${CONNECTIONS} connections for ${SECONDS} s`)
  const config = path.resolve(import.meta.dirname, '../fixtures/hello-worker/wrangler.toml')
  const hello = await startEdge({ config })
  try {
    await measureRate(hello.url, 1, CONNECTIONS)
    return await measureRate(hello.url, SECONDS, CONNECTIONS)
  } finally {
    await hello.dispose()
  }
}

export const edge: Suite = {
  name: 'edge',
  async run(log) {
    // Node first: it is the baseline every edge figure is divided by.
    const node = await measureHost('node', log)
    const edgeHost = await measureHost('edge', log)
    const ceiling = await measureCeiling(log)
    const ratio = (e: number, n: number) => round(e / n)
    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      setup: {
        rooms: ROOMS,
        workerProcesses: PROCESSES,
        volunteersPerProcess: PER_PROCESS,
        jobsPerRun: JOBS,
        runsPerLayout: REPEAT,
        code: CODE,
        namespaces: Object.fromEntries(NAMESPACES.map((ns) => [ns, roomOf(ns, ROOMS)])),
        functionRoom: roomOf(FUNCTION.user, ROOMS),
        connections: CONNECTIONS,
        seconds: SECONDS,
      },
      node,
      edge: edgeHost,
      /** The smallest Worker under wrangler dev: the local runtime's own limit. */
      wranglerDevCeiling: ceiling,
      edgeOverNode: {
        jobsOneNamespace: ratio(
          edgeHost.oneNamespace.jobsPerSecond,
          node.oneNamespace.jobsPerSecond,
        ),
        jobsSpread: ratio(edgeHost.spread.jobsPerSecond, node.spread.jobsPerSecond),
        invocationRequestsPerSecond: ratio(
          edgeHost.invocation.requestsPerSecond,
          node.invocation.requestsPerSecond,
        ),
        invocationP50: ratio(edgeHost.invocation.latencyP50Ms, node.invocation.latencyP50Ms),
        invocationP99: ratio(edgeHost.invocation.latencyP99Ms, node.invocation.latencyP99Ms),
        healthRequestsPerSecond: ratio(
          edgeHost.health.requestsPerSecond,
          node.health.requestsPerSecond,
        ),
      },
      spreadOverOne: {
        edge: ratio(edgeHost.spread.jobsPerSecond, edgeHost.oneNamespace.jobsPerSecond),
        node: ratio(node.spread.jobsPerSecond, node.oneNamespace.jobsPerSecond),
      },
    }
  },
  table(result) {
    const r = result as {
      setup: {
        rooms: number
        workerProcesses: number
        volunteersPerProcess: number
        jobsPerRun: number
      }
      node: HostFigures
      edge: HostFigures
      wranglerDevCeiling: RateResult
      edgeOverNode: Record<string, number>
      spreadOverOne: { edge: number; node: number }
    }
    const { rooms, workerProcesses, volunteersPerProcess, jobsPerRun } = r.setup
    const runs = (f: { jobsPerSecond: number; runs: BatchRun[] }) =>
      `${f.jobsPerSecond} (${f.runs.map((x) => x.jobsPerSecond).join(', ')})`
    const failed = (f: HostFigures) =>
      [...f.oneNamespace.runs, ...f.spread.runs].reduce((n, x) => n + x.failed, 0)
    const moves = (f: HostFigures) =>
      `${f.oneNamespace.runs.map((x) => x.moves).join(', ')}; ${f.spread.runs.map((x) => x.moves).join(', ')}; ${f.invocation.moves}`
    const errors = (f: HostFigures) =>
      f.invocation.errors + f.invocation.non2xx + f.health.errors + f.health.non2xx
    const e = r.edge
    const n = r.node
    const cpu = (f: HostFigures) =>
      Object.entries(f.invocation.cpuMicros ?? {})
        .map(([group, micros]) => `${group === 'self' ? 'load generator' : group} ${micros}`)
        .join(', ')
    const q = r.edgeOverNode
    return [
      `${workerProcesses} \`zerverless --worker\` processes × ${volunteersPerProcess} volunteers on each host; edge with ROOMS=${rooms}. Jobs/s: median (each run); wait until every volunteer is idle before each run.`,
      '',
      '| measure | edge (workerd) | node (baseline) | edge / node |',
      '|---|---|---|---|',
      `| jobs/s, ${jobsPerRun} js jobs in 1 namespace | ${runs(e.oneNamespace)} | ${runs(n.oneNamespace)} | ${q.jobsOneNamespace} |`,
      `| jobs/s, ${jobsPerRun} js jobs over ${rooms} namespaces (one per room) | ${runs(e.spread)} | ${runs(n.spread)} | ${q.jobsSpread} |`,
      `| function req/s, ${CONNECTIONS} connections | ${e.invocation.requestsPerSecond} | ${n.invocation.requestsPerSecond} | ${q.invocationRequestsPerSecond} |`,
      `| function latency p50 | ${e.invocation.latencyP50Ms} ms | ${n.invocation.latencyP50Ms} ms | ${q.invocationP50} |`,
      `| function latency p99 | ${e.invocation.latencyP99Ms} ms | ${n.invocation.latencyP99Ms} ms | ${q.invocationP99} |`,
      `| function CPU µs per call, by process | ${cpu(e)} | ${cpu(n)} | |`,
      `| function warm-up windows, req/s each (not measured) | ${e.invocation.warmUpWindows.join(', ')} | ${n.invocation.warmUpWindows.join(', ')} | |`,
      `| GET /health req/s, ${CONNECTIONS} connections (HTTP path alone) | ${e.health.requestsPerSecond} | ${n.health.requestsPerSecond} | ${q.healthRequestsPerSecond} |`,
      `| reference: a Worker answering "ok" under wrangler dev, req/s | ${r.wranglerDevCeiling.requestsPerSecond} | | |`,
      `| failed jobs / request errors | ${failed(e)} / ${errors(e)} | ${failed(n)} / ${errors(n)} | |`,
      `| volunteer moves between rooms: 1 namespace runs; spread runs; invocation | ${moves(e)} | ${moves(n)} | |`,
      '',
      `| spreading over ${rooms} namespaces | jobs/s ${rooms} namespaces ÷ 1 namespace |`,
      '|---|---|',
      `| edge (${rooms} rooms) | ${r.spreadOverOne.edge} |`,
      `| node (one scheduler) | ${r.spreadOverOne.node} |`,
    ].join('\n')
  },
}
