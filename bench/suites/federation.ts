/**
 * Issue 18's figures, side by side in one run: trivial js jobs submitted to orchestrator A and
 * forwarded to C (A has only a Lua volunteer) against the same jobs submitted to C itself, so both
 * sides run on the very same two volunteers and differ only by the hop; then how long a fourth
 * orchestrator takes to join a mesh of three through one bootstrap peer.
 */
import os from 'node:os'
import { startMeshNode, type MeshNode } from '../../test/helpers/mesh-cluster'
import { runBatch } from '../lib/job-load'
import { measureJoin, PRODUCTION, type JoinTimes } from '../lib/mesh-discovery'
import { runSequential } from '../lib/sequential-jobs'
import { measureExchanges } from '../lib/stream-exchange'
import { processForwarding, type ProcessForwarding } from '../lib/process-forwarding'
import { percentile, round } from '../lib/stats'
import { countThreadCpu } from '../lib/thread-cpu'
import type { Suite } from './suite'

const JOB = { job_type: 'js', code: '1 + 1' }

/** One side's figures summed over the rounds. */
interface Side {
  latencies: number[]
  batchJobs: number
  batchSeconds: number
  /** CPU seconds of this process (every orchestrator, volunteer and the client): main thread, others. */
  seqCpu: { main: number; others: number }
  batchCpu: { main: number; others: number }
}

const side = (): Side => ({
  latencies: [],
  batchJobs: 0,
  batchSeconds: 0,
  seqCpu: { main: 0, others: 0 },
  batchCpu: { main: 0, others: 0 },
})

/** Runs `work` and adds this process's CPU over it to `into`. */
async function counted<T>(into: { main: number; others: number }, work: () => Promise<T>) {
  const counter = countThreadCpu([process.pid])
  const value = await work()
  const [cpu] = counter.stop()
  into.main += cpu?.main ?? 0
  into.others += cpu?.others ?? 0
  return value
}

/** Sequential jobs on one side; every one must have run where the side says. */
async function sequential(node: MeshNode, into: Side, count: number, peer?: string) {
  const { latencies, jobs } = await counted(into.seqCpu, () =>
    runSequential(node.server.url, JOB, count),
  )
  for (const job of jobs)
    if (job.status !== 'completed' || job.executed_by?.orchestrator !== peer)
      throw new Error(`a job ran wrong: ${JSON.stringify(job)}`)
  into.latencies.push(...latencies)
}

/** One batch on one side, timed here (the batch's own figure is rounded to 10 ms). */
async function batch(node: MeshNode, into: Side, count: number): Promise<void> {
  const started = performance.now()
  const done = await counted(into.batchCpu, () => runBatch(node.server.url, JOB, count))
  if (done.failed > 0) throw new Error(`${done.failed} of ${count} batch jobs failed`)
  into.batchJobs += done.jobs
  into.batchSeconds += (performance.now() - started) / 1000
}

function figures(s: Side) {
  const perJob = (cpu: { main: number; others: number }, jobs: number) => ({
    mainUs: round((cpu.main * 1e6) / jobs, 0),
    othersUs: round((cpu.others * 1e6) / jobs, 0),
  })
  return {
    jobs: s.latencies.length,
    p50Ms: round(percentile(s.latencies, 50)),
    p90Ms: round(percentile(s.latencies, 90)),
    p99Ms: round(percentile(s.latencies, 99)),
    jobsPerSecond: Math.round(s.batchJobs / s.batchSeconds),
    batchJobs: s.batchJobs,
    cpuPerSequentialJob: perJob(s.seqCpu, s.latencies.length),
    cpuPerBatchJob: perJob(s.batchCpu, s.batchJobs),
  }
}

async function compare(log: (step: string) => void) {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 4)
  const seqPerRound = Math.ceil(Number(process.env.BENCH_SEQUENTIAL ?? 200) / rounds)
  const batchPerRound = Math.ceil(Number(process.env.BENCH_BATCH ?? 2000) / rounds)
  const batchSize = Number(process.env.BENCH_BATCH_SIZE ?? 250)
  const nodes: MeshNode[] = []
  try {
    const c = await startMeshNode('c', {
      ...PRODUCTION,
      volunteers: [{ runtimes: ['js'] }, { runtimes: ['js'] }],
    })
    nodes.push(c)
    const a = await startMeshNode('a', {
      ...PRODUCTION,
      bootstrap: [c.address],
      volunteers: [{ runtimes: ['lua'] }],
    })
    nodes.push(a)
    log('waiting for A to hear C offer js')
    for (let t = 0; ; t++) {
      const peer = a.server.orchestrator.federation?.peers().find((p) => p.id === c.peerId)
      if (peer?.status === 'connected' && peer.runtimes.includes('js')) break
      if (t > 3000) throw new Error('A never heard C offer js')
      await new Promise((r) => setTimeout(r, 10))
    }
    // C's sandbox threads warm first, so the first forwarded job shows only what forwarding costs.
    await Promise.all(c.volunteers.map((v) => v.warm('js', JOB.code)))
    const first = await runSequential(a.server.url, JOB, 1)
    const firstForwardedMs = round(first.latencies[0] ?? Number.NaN)
    log('warm-up: 20 jobs and a batch of 200 on each side')
    const warm = side()
    for (const [node, peer] of [
      [a, c.peerId],
      [c, undefined],
    ] as const) {
      await sequential(node, warm, 20, peer)
      await batch(node, warm, 200)
    }

    const forwarded = side()
    const local = side()
    const roundRatios: number[] = []
    for (let r = 0; r < rounds; r++) {
      const sides: [string, MeshNode, Side, string | undefined][] = [
        ['forwarded', a, forwarded, c.peerId],
        ['local', c, local, undefined],
      ]
      if (r % 2) sides.reverse()
      log(`round ${r + 1}/${rounds}: ${sides[0]?.[0]} first`)
      for (const [, node, into, peer] of sides) await sequential(node, into, seqPerRound, peer)
      const before = sides.map(([, , into]) => [into.batchJobs, into.batchSeconds] as const)
      for (const [, node, into] of sides)
        for (let sent = 0; sent < batchPerRound; sent += batchSize)
          await batch(node, into, Math.min(batchSize, batchPerRound - sent))
      const rate = (i: number) => {
        const [into, [jobs, seconds]] = [sides[i]?.[2] as Side, before[i] ?? [0, 0]]
        return (into.batchJobs - jobs) / (into.batchSeconds - seconds)
      }
      const [fwd, loc] = r % 2 ? [rate(1), rate(0)] : [rate(0), rate(1)]
      roundRatios.push(round(fwd / loc))
    }
    const f = figures(forwarded)
    const l = figures(local)
    return {
      rounds,
      batchSize,
      firstForwardedMs,
      forwarded: f,
      local: l,
      addedP50Ms: round(f.p50Ms - l.p50Ms),
      addedP90Ms: round(f.p90Ms - l.p90Ms),
      throughputRatio: round(f.jobsPerSecond / l.jobsPerSecond),
      roundRatios: roundRatios,
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
  }
}

const median = (xs: number[]) => round(percentile(xs, 50), 1)

export const federation: Suite = {
  name: 'federation',
  async run(log) {
    const comparison = await compare(log)
    const processes = await processForwarding(
      log,
      Number(process.env.BENCH_ROUNDS ?? 4),
      Number(process.env.BENCH_PROCESS_BATCH ?? 1000),
    )
    log('the mesh alone: a new stream per exchange against streams kept open')
    const streams = await measureExchanges(Number(process.env.BENCH_EXCHANGES ?? 2000), 4, 3)
    const runs: JoinTimes[] = []
    const joins = Number(process.env.BENCH_JOINS ?? 5)
    for (let i = 0; i < joins; i++) {
      log(`a fourth orchestrator joins: run ${i + 1}/${joins}`)
      runs.push(await measureJoin())
    }
    const keys = Object.keys(runs[0] ?? {}) as (keyof JoinTimes)[]
    const join = Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))]))
    return {
      machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
      comparison,
      processes,
      streams,
      join: { runs, median: join },
    }
  },
  table(result) {
    const r = result as {
      comparison: Awaited<ReturnType<typeof compare>>
      processes: ProcessForwarding
      streams: Awaited<ReturnType<typeof measureExchanges>>
      join: { runs: JoinTimes[]; median: JoinTimes }
    }
    const c = r.comparison
    const f = c.forwarded
    const l = c.local
    const rows = [
      '| measure | forwarded A → C | local (on C) | forwarded vs local (goal) |',
      '|---|---|---|---|',
      `| one job end to end, p50 / p90 / p99 (${f.jobs} each, sequential) | ${f.p50Ms} / ${f.p90Ms} / ${f.p99Ms} ms | ${l.p50Ms} / ${l.p90Ms} / ${l.p99Ms} ms | +${c.addedP50Ms} ms p50, +${c.addedP90Ms} ms p90 (≤ 10 ms) |`,
      `| jobs/s, ${f.batchJobs} in batches of ${c.batchSize} | ${f.jobsPerSecond} | ${l.jobsPerSecond} | ${c.throughputRatio}× (≥ 0.5×); rounds ${c.roundRatios.join(', ')} |`,
      `| CPU µs per sequential job, this process: main thread / others | ${f.cpuPerSequentialJob.mainUs} / ${f.cpuPerSequentialJob.othersUs} | ${l.cpuPerSequentialJob.mainUs} / ${l.cpuPerSequentialJob.othersUs} | |`,
      `| CPU µs per batch job, this process: main thread / others | ${f.cpuPerBatchJob.mainUs} / ${f.cpuPerBatchJob.othersUs} | ${l.cpuPerBatchJob.mainUs} / ${l.cpuPerBatchJob.othersUs} | |`,
      `| first forwarded job (new stream, offer, code fetched by hash; C's threads warm) | ${c.firstForwardedMs} ms | | |`,
      '',
      `In one process, A's and C's work share one main thread, so a forwarded job costs it both orchestrators' work (about 0.5× is this setup's ceiling). As two processes (A with no volunteers, C with two internal workers; ${r.processes.rounds} alternating rounds of ${r.processes.batchSize} jobs a side):`,
      '',
      '| measure | forwarded A → C | local (on C) | forwarded vs local (goal) |',
      '|---|---|---|---|',
      `| jobs/s, two processes | ${r.processes.forwarded} | ${r.processes.local} | ${r.processes.ratio}× (≥ 0.5×); rounds ${r.processes.roundRatios.join(', ')} |`,
      '',
      `The mesh alone (two bare libp2p nodes in this process; an offer, then its \`result\` back; ${r.streams.count} exchanges, ${r.streams.inFlight} at once; medians of 3 rounds):`,
      '',
      '| exchange | per second | CPU µs each (both nodes) |',
      '|---|---|---|',
      `| a new job stream each (as a lease opens one) | ${r.streams.newStream.perSecond} | ${r.streams.newStream.cpuUs} |`,
      `| on ${r.streams.inFlight} streams kept open | ${r.streams.reused.perSecond} | ${r.streams.reused.cpuUs} |`,
      '',
      `A fourth orchestrator D joins A, B, C through B (ms from D's start; median of ${r.join.runs.length} runs, each: ${r.join.runs.map((j) => j.forwardedMs).join(', ')} ms to the forwarded job):`,
      '',
      '| milestone | median ms |',
      '|---|---|',
      `| D's server listens, its volunteer welcomed | ${r.join.median.startedMs} |`,
      `| A, B and C all list D as connected | ${r.join.median.connectedMs} |`,
      `| … with an announcement from D | ${r.join.median.announcedMs} |`,
      `| … offering js (D's volunteer counted) | ${r.join.median.offersMs} |`,
      `| a js job waiting at A completed on D (its sandbox thread cold) | ${r.join.median.forwardedMs} |`,
    ]
    return rows.join('\n')
  },
}
