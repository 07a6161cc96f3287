/**
 * Workflows on both hosts, side by side in one run: a 10-step chain of trivial js steps against
 * the same 10 jobs submitted one after another by a client, and a fan-out step against the same
 * jobs as one `POST /api/jobs/batch`; under local workerd (the run in a job room, not the home
 * room) and on Node, served by the same real `zerverless --worker` processes.
 */
import os from 'node:os'
import { roomOf } from '../../edge/workers/room-routing'
import { startHost, type HostKind } from '../lib/hosts'
import { runBatch } from '../lib/job-load'
import { cpuByGroup, microsPer, type CpuByGroup } from '../lib/process-tree-cpu'
import { percentile, round } from '../lib/stats'
import { startFleet } from '../lib/volunteer-fleet'
import { processOf } from './edge'
import type { Suite } from './suite'

const ROOMS = 4
const PROCESSES = 2
const PER_PROCESS = 2
const STEPS = 10
const REPEAT = Number(process.env.BENCH_WF_REPEAT ?? 5)
const FANOUT = Number(process.env.BENCH_WF_FANOUT ?? 2000)
const FANOUT_REPEAT = Number(process.env.BENCH_WF_FANOUT_REPEAT ?? 3)
/** Room 1 of 4: a workflow's room is its namespace's, away from the home room's traffic. */
const NAMESPACE = 'wf-alpha'
const CODE = 'INPUT.n + 1'

async function call(url: string, method: string, body?: unknown): Promise<any> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const json = (await res.json()) as any
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

async function define(url: string, steps: object[]): Promise<string> {
  return (
    await call(`${url}/api/workflows`, 'POST', { name: 'bench', namespace: NAMESPACE, steps })
  ).id
}

/** Starts a run and waits for its end; the milliseconds it took, seen from the client. */
async function runMs(url: string, id: string): Promise<number> {
  const started = performance.now()
  const run = await call(`${url}/api/workflows/${id}/runs`, 'POST', { input: { n: 0 } })
  const done = await call(`${url}/api/workflow-runs/${run.id}?wait=120`, 'GET')
  if (done.status !== 'completed') throw new Error(`run ${run.id} ${done.status}: ${done.error}`)
  return performance.now() - started
}

/** The same chain driven by a client: each job submitted once the one before it ended. */
async function clientChainMs(url: string): Promise<number> {
  const started = performance.now()
  let n = 0
  for (let i = 0; i < STEPS; i++) {
    const job = await call(`${url}/api/jobs`, 'POST', {
      job_type: 'js',
      code: CODE,
      namespace: NAMESPACE,
      input_data: { n },
    })
    const done = await call(`${url}/api/jobs/${job.id}?wait=60`, 'GET')
    if (done.status !== 'completed') throw new Error(`job ${job.id} ${done.status}`)
    n = done.result as number
  }
  return performance.now() - started
}

interface Timed {
  medianMs: number
  runsMs: number[]
  /** CPU µs per run, by process. */
  cpuMicros: CpuByGroup
}

/** One run, and the CPU each process spent on it. */
async function timed(once: () => Promise<number>): Promise<{ ms: number; cpuMicros: CpuByGroup }> {
  const before = cpuByGroup(processOf)
  const ms = Math.round(await once())
  return { ms, cpuMicros: microsPer(before, cpuByGroup(processOf), 1) }
}

interface HostFigures {
  chain: { workflow: Timed; client: Timed }
  fanOut: {
    workflowJobsPerSecond: number
    batchJobsPerSecond: number
    workflowRuns: number[]
    batchRuns: number[]
    /** CPU µs per job, by process. */
    workflowCpuMicrosPerJob: CpuByGroup
    batchCpuMicrosPerJob: CpuByGroup
  }
}

async function measureHost(kind: HostKind, log: (step: string) => void): Promise<HostFigures> {
  log(`${kind}: starting the host and ${PROCESSES} worker processes × ${PER_PROCESS} volunteers`)
  const host = await startHost(kind, { rooms: ROOMS })
  const fleet = startFleet(host.wsUrl, PROCESSES, PER_PROCESS)
  try {
    await fleet.settled(host.url)
    const chain = await define(
      host.url,
      Array.from({ length: STEPS }, (_, i) => ({
        id: `s${i}`,
        run: { runtime: 'js', code: CODE },
        ...(i > 0 && { input: { n: `\${steps.s${i - 1}.result}` } }),
      })),
    )
    const fanOut = await define(host.url, [
      {
        id: 'each',
        run: { runtime: 'js', code: CODE },
        foreach: Array.from({ length: FANOUT }, (_, n) => n),
      },
    ])
    log(`${kind}: warm-up`)
    await runMs(host.url, chain)
    await clientChainMs(host.url)
    await runMs(host.url, fanOut)
    await runBatch(host.url, { job_type: 'js', code: CODE, namespace: NAMESPACE }, FANOUT)
    // Alternated one by one, so neither side always runs on a machine the other just warmed.
    const workflowMs: number[] = []
    const clientMs: number[] = []
    const cpu = { workflow: {} as CpuByGroup, client: {} as CpuByGroup }
    const add = (into: CpuByGroup, from: CpuByGroup) => {
      for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v
    }
    for (let i = 0; i < REPEAT; i++) {
      log(`${kind}: ${STEPS}-step chain, workflow then client (${i + 1}/${REPEAT})`)
      const w = await timed(() => runMs(host.url, chain))
      const c = await timed(() => clientChainMs(host.url))
      workflowMs.push(w.ms)
      clientMs.push(c.ms)
      add(cpu.workflow, w.cpuMicros)
      add(cpu.client, c.cpuMicros)
    }
    const per = (sum: CpuByGroup) =>
      Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, Math.round(v / REPEAT)]))
    // Fan-outs alternate with batches too; each side's median, and its CPU per job.
    const wfRates: number[] = []
    const batchRates: number[] = []
    const fanCpu = { workflow: {} as CpuByGroup, batch: {} as CpuByGroup }
    for (let i = 0; i < FANOUT_REPEAT; i++) {
      log(`${kind}: fan-out of ${FANOUT}, workflow then batch (${i + 1}/${FANOUT_REPEAT})`)
      await fleet.settled(host.url)
      const w = await timed(() => runMs(host.url, fanOut))
      wfRates.push(Math.round(FANOUT / (w.ms / 1000)))
      add(fanCpu.workflow, w.cpuMicros)
      await fleet.settled(host.url)
      const b = await timed(
        async () =>
          (await runBatch(host.url, { job_type: 'js', code: CODE, namespace: NAMESPACE }, FANOUT))
            .seconds * 1000,
      )
      batchRates.push(Math.round(FANOUT / (b.ms / 1000)))
      add(fanCpu.batch, b.cpuMicros)
    }
    const perJob = (sum: CpuByGroup) =>
      Object.fromEntries(
        Object.entries(sum).map(([k, v]) => [k, Math.round(v / FANOUT_REPEAT / FANOUT)]),
      )
    return {
      chain: {
        workflow: {
          medianMs: percentile(workflowMs, 50),
          runsMs: workflowMs,
          cpuMicros: per(cpu.workflow),
        },
        client: {
          medianMs: percentile(clientMs, 50),
          runsMs: clientMs,
          cpuMicros: per(cpu.client),
        },
      },
      fanOut: {
        workflowJobsPerSecond: percentile(wfRates, 50),
        batchJobsPerSecond: percentile(batchRates, 50),
        workflowRuns: wfRates,
        batchRuns: batchRates,
        workflowCpuMicrosPerJob: perJob(fanCpu.workflow),
        batchCpuMicrosPerJob: perJob(fanCpu.batch),
      },
    }
  } finally {
    await fleet.stop()
    await host.stop()
  }
}

export const workflowsEdge: Suite = {
  name: 'workflows-edge',
  async run(log) {
    const node = await measureHost('node', log)
    const edge = await measureHost('edge', log)
    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      setup: {
        rooms: ROOMS,
        room: roomOf(NAMESPACE, ROOMS),
        workerProcesses: PROCESSES,
        volunteersPerProcess: PER_PROCESS,
        steps: STEPS,
        repeat: REPEAT,
        fanOut: FANOUT,
        code: CODE,
      },
      node,
      edge,
    }
  },
  table(result) {
    const r = result as { node: HostFigures; edge: HostFigures; setup: { room: number } }
    const row = (label: string, f: (h: HostFigures) => string) =>
      `| ${label} | ${f(r.edge)} | ${f(r.node)} |`
    const ms = (t: Timed) => `${t.medianMs} ms (${t.runsMs.join(', ')})`
    const cpu = (t: Timed) =>
      Object.entries(t.cpuMicros)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k === 'self' ? 'client' : k} ${round(v / 1000, 1)}`)
        .join(', ')
    const micros = (m: CpuByGroup) =>
      Object.entries(m)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k === 'self' ? 'client' : k} ${v}`)
        .join(', ')
    const overhead = (h: HostFigures) =>
      `${round((h.chain.workflow.medianMs - h.chain.client.medianMs) / STEPS, 1)} ms`
    return [
      `${PROCESSES} \`zerverless --worker\` processes × ${PER_PROCESS} volunteers on each host; edge with ROOMS=${ROOMS}, the workflows in room ${r.setup.room}. Chains alternate workflow and client, ${REPEAT} of each: median (each run).`,
      '',
      '| measure | edge (workerd) | node |',
      '|---|---|---|',
      row(`${STEPS}-step js chain as a workflow`, (h) => ms(h.chain.workflow)),
      row(`the same ${STEPS} jobs, one after another by a client`, (h) => ms(h.chain.client)),
      row(
        'per-step overhead of the workflow (median difference ÷ steps; negative: faster)',
        overhead,
      ),
      row('CPU ms per workflow chain, by process', (h) => cpu(h.chain.workflow)),
      row('CPU ms per client chain, by process', (h) => cpu(h.chain.client)),
      row(
        `jobs/s, fan-out of ${FANOUT} in one step`,
        (h) => `${h.fanOut.workflowJobsPerSecond} (${h.fanOut.workflowRuns.join(', ')})`,
      ),
      row(
        `jobs/s, the same as one POST /api/jobs/batch`,
        (h) => `${h.fanOut.batchJobsPerSecond} (${h.fanOut.batchRuns.join(', ')})`,
      ),
      row('CPU µs per fan-out job, by process', (h) => micros(h.fanOut.workflowCpuMicrosPerJob)),
      row('CPU µs per batch job, by process', (h) => micros(h.fanOut.batchCpuMicrosPerJob)),
      row('fan-out ÷ batch', (h) =>
        String(round(h.fanOut.workflowJobsPerSecond / h.fanOut.batchJobsPerSecond)),
      ),
    ].join('\n')
  },
}
