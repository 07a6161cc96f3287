/**
 * Issue 17's figures, side by side in one server with internal workers, in alternating rounds: a
 * 10-step chain of trivial js steps as a workflow against the same jobs submitted one after
 * another by a client, and a 10,000-element foreach step against the same `POST /api/jobs/batch`,
 * each with the CPU it cost per job on the orchestrator's main thread.
 */
import os from 'node:os'
import { startZerverless } from '../lib/processes'
import { round } from '../lib/stats'
import { childPid, countThreadCpu } from '../lib/thread-cpu'
import {
  Caller,
  chainWorkflow,
  clientBatch,
  clientChain,
  fanOutWorkflow,
  runWorkflow,
} from '../lib/workflow-load'
import type { Suite } from './suite'

const CHAIN = 10
const FANOUT = 10_000

/** Wall time and CPU seconds summed over the rounds of one side of a comparison. */
interface Tally {
  ms: number
  jobs: number
  main: number
  others: number
  host: number
}

const tally = (): Tally => ({ ms: 0, jobs: 0, main: 0, others: 0, host: 0 })

/** Runs `work` (which does `jobs` jobs) and adds its time and CPU to `into`. */
async function measure(pids: number[], into: Tally, jobs: number, work: () => Promise<unknown>) {
  const counter = countThreadCpu(pids)
  const started = performance.now()
  await work()
  into.ms += performance.now() - started
  const [server, host] = counter.stop()
  into.jobs += jobs
  into.main += server?.main ?? 0
  into.others += server?.others ?? 0
  into.host += host ? host.main + host.others : 0
}

/** A side's figures: per job µs of CPU, where it went. */
function cpuPerJob(t: Tally) {
  const us = (seconds: number) => round((seconds * 1e6) / Math.max(1, t.jobs), 1)
  return { mainUs: us(t.main), otherUs: us(t.others), hostUs: us(t.host) }
}

export const workflows: Suite = {
  name: 'workflows',
  async run(log) {
    const rounds = Number(process.env.BENCH_ROUNDS ?? 6)
    const chainRuns = Number(process.env.BENCH_CHAIN_RUNS ?? 10)
    const fanRounds = Number(process.env.BENCH_FANOUT_ROUNDS ?? 4)
    const server = await startZerverless()
    const caller = new Caller(server.url)
    try {
      await new Promise((r) => setTimeout(r, 1000)) // internal workers connect
      const host = childPid(server.pid)
      const pids = host === undefined ? [server.pid] : [server.pid, host]
      const chain = await caller.json<{ id: string }>(
        'POST',
        '/api/workflows',
        chainWorkflow(CHAIN),
        201,
      )
      const fan = await caller.json<{ id: string }>('POST', '/api/workflows', fanOutWorkflow(), 201)
      const list = Array.from({ length: FANOUT }, (_, n) => n)
      const chainRun = async () => {
        const run = await runWorkflow(caller, chain.id, { n: 0 })
        if (run.steps.at(-1)?.result !== CHAIN)
          throw new Error(`chain ended at ${JSON.stringify(run.steps.at(-1))}`)
      }
      const chainByClient = async () => {
        if ((await clientChain(caller, CHAIN, 0)) !== CHAIN)
          throw new Error('client chain went wrong')
      }
      const fanRun = () => runWorkflow(caller, fan.id, { list })
      const batch = async () => {
        const done = await clientBatch(caller, FANOUT)
        if (done !== FANOUT) throw new Error(`batch: ${done} of ${FANOUT} completed`)
      }

      log('warm-up: one of each')
      await chainRun()
      await chainByClient()
      await fanRun()
      await batch()

      const wf = tally()
      const client = tally()
      /** Each round's ratio, so the table shows how much the machine's noise moved it. */
      const chainRatios: number[] = []
      for (let r = 0; r < rounds; r++) {
        const before = { wf: wf.ms, client: client.ms }
        log(
          `chain round ${r + 1}/${rounds}: ${chainRuns} runs of each, ${r % 2 ? 'client' : 'workflow'} first`,
        )
        const sides: [Tally, () => Promise<void>][] = [
          [wf, chainRun],
          [client, chainByClient],
        ]
        if (r % 2) sides.reverse()
        for (const [into, work] of sides)
          for (let i = 0; i < chainRuns; i++) await measure(pids, into, CHAIN, work)
        chainRatios.push(round((client.ms - before.client) / (wf.ms - before.wf)))
      }

      const fanWf = tally()
      const fanBatch = tally()
      const fanRatios: number[] = []
      for (let r = 0; r < fanRounds; r++) {
        // Workflow first in even rounds, the batch first in odd ones.
        const sides: [Tally, () => Promise<unknown>, string][] = [
          [fanWf, fanRun, 'workflow foreach'],
          [fanBatch, batch, 'POST /api/jobs/batch'],
        ]
        if (r % 2) sides.reverse()
        const ms = new Map<Tally, number>()
        for (const [into, work, what] of sides) {
          log(`fan-out round ${r + 1}/${fanRounds}: ${what}`)
          const before = into.ms
          await measure(pids, into, FANOUT, work)
          ms.set(into, into.ms - before)
        }
        // Workflow jobs/s over the batch's: the batch's time over the workflow's.
        fanRatios.push(round((ms.get(fanBatch) ?? 0) / (ms.get(fanWf) ?? 1)))
      }

      const perStep = (t: Tally) => round(t.ms / t.jobs, 3)
      const perSecond = (t: Tally) => Math.round((t.jobs * 1000) / t.ms)
      return {
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
        workers: os.availableParallelism(),
        chain: {
          steps: CHAIN,
          runsEachSide: rounds * chainRuns,
          workflowMsPerStep: perStep(wf),
          clientMsPerStep: perStep(client),
          ratio: round(perStep(client) / perStep(wf)),
          roundRatios: chainRatios,
          workflowCpu: cpuPerJob(wf),
          clientCpu: cpuPerJob(client),
        },
        fanOut: {
          elements: FANOUT,
          runsEachSide: fanRounds,
          workflowJobsPerSecond: perSecond(fanWf),
          batchJobsPerSecond: perSecond(fanBatch),
          ratio: round(perSecond(fanWf) / perSecond(fanBatch)),
          roundRatios: fanRatios,
          workflowCpu: cpuPerJob(fanWf),
          batchCpu: cpuPerJob(fanBatch),
        },
      }
    } finally {
      caller.close()
      await server.stop()
    }
  },
  table(result) {
    type Cpu = { mainUs: number; otherUs: number; hostUs: number }
    const r = result as {
      chain: {
        steps: number
        runsEachSide: number
        workflowMsPerStep: number
        clientMsPerStep: number
        ratio: number
        roundRatios: number[]
        workflowCpu: Cpu
        clientCpu: Cpu
      }
      fanOut: {
        elements: number
        runsEachSide: number
        workflowJobsPerSecond: number
        batchJobsPerSecond: number
        ratio: number
        roundRatios: number[]
        workflowCpu: Cpu
        batchCpu: Cpu
      }
    }
    const { chain: c, fanOut: f } = r
    const cpu = (x: Cpu) => `${x.mainUs} | ${x.otherUs} | ${x.hostUs}`
    const range = (ratios: number[]) => `rounds ${Math.min(...ratios)}–${Math.max(...ratios)}`
    return [
      '| measure | workflow | client-driven | ratio (goal) |',
      '|---|---|---|---|',
      `| ${c.steps}-step js chain, ms per step (${c.runsEachSide} runs each) | ${c.workflowMsPerStep} | ${c.clientMsPerStep} (POST + wait per job) | ${c.ratio}× faster, ${range(c.roundRatios)} (> 1) |`,
      `| foreach over ${f.elements.toLocaleString('en')} js jobs, jobs/s (${f.runsEachSide} runs each) | ${f.workflowJobsPerSecond} | ${f.batchJobsPerSecond} (POST /api/jobs/batch) | ${f.ratio}×, ${range(f.roundRatios)} (≥ 0.8) |`,
      '',
      'CPU µs per job (from /proc, over the measured runs):',
      '',
      '| side | orchestrator main thread | its other threads | worker host (all threads) |',
      '|---|---|---|---|',
      `| chain: workflow | ${cpu(c.workflowCpu)} |`,
      `| chain: client, one job after another | ${cpu(c.clientCpu)} |`,
      `| fan-out: workflow foreach | ${cpu(f.workflowCpu)} |`,
      `| fan-out: POST /api/jobs/batch | ${cpu(f.batchCpu)} |`,
    ].join('\n')
  },
}
