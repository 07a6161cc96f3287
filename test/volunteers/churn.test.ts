/**
 * Churn: real worker processes killed with -9 or frozen mid-run, again and again, while a batch
 * runs. Every job must complete exactly once, and a lost volunteer's jobs must be back in the queue
 * within two heartbeat intervals.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const HEARTBEAT_S = 1
/** The contract (two missed intervals), plus slack for a loaded two-core machine. */
const REQUEUE_BOUND_MS = 2 * HEARTBEAT_S * 1000 + 1500
const VOLUNTEERS = 10
const VICTIMS = 3 // 30 %
const JOBS = 300
/** The freeze test holds 30 % of the volunteers for ~2 s per round: a longer batch. */
const FROZEN_JOBS = 600
/** Each job keeps its sandbox busy this long: long enough to be caught mid-run. */
const JOB_MS = 100

let server: ZerverlessProcess | undefined
const workers: WorkerProcess[] = []

afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.signal('SIGCONT')
    await worker.kill()
  }
  if (server) {
    await server.kill()
    removeDir(server.dataDir)
    server = undefined
  }
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts a worker process with one sandbox and waits for its welcome. */
async function startVolunteer(wsUrl: string): Promise<WorkerProcess & { id: string }> {
  const worker = startWorker(wsUrl, 1)
  workers.push(worker)
  const id = await eventually(() => worker.volunteerIds()[0], 20_000, 'a worker welcome')
  return Object.assign(worker, { id })
}

interface Held {
  id: string
  attempts: number
}

async function setUp(jobs: number) {
  server = await startZerverless([
    '--workers',
    '0',
    '--heartbeat-interval',
    String(HEARTBEAT_S),
    '--log-level',
    'warn',
  ])
  const client = api(server.url)
  const live = await Promise.all(
    Array.from({ length: VOLUNTEERS }, () => startVolunteer((server as ZerverlessProcess).wsUrl)),
  )
  const batch = await client.post('/api/jobs/batch', {
    job_type: 'js',
    code: `const t = Date.now(); while (Date.now() - t < ${JOB_MS}) {} INPUT.n * 3`,
    inputs: Array.from({ length: jobs }, (_, n) => ({ n })),
    max_retries: 10,
  })
  expect(batch.status).toBe(201)
  return { client, live, batchId: batch.body.batch_id as string }
}

/** What each volunteer holds right now, by volunteer id. */
async function heldBy(client: ReturnType<typeof api>): Promise<Map<string, Held[]>> {
  const { body } = await client.get('/api/jobs?status=running&limit=1000')
  const held = new Map<string, Held[]>()
  for (const job of body.jobs as { id: string; volunteer_id: string; attempts: number }[]) {
    const list = held.get(job.volunteer_id) ?? []
    list.push({ id: job.id, attempts: job.attempts })
    held.set(job.volunteer_id, list)
  }
  return held
}

/**
 * Waits until none of `jobs` is still held by `volunteerId` (pending again, or started elsewhere);
 * returns how long that took. A job the volunteer finished before it was lost does not count.
 */
async function requeueDelay(
  client: ReturnType<typeof api>,
  volunteerId: string,
  jobs: Held[],
  since: number,
): Promise<number[]> {
  return Promise.all(
    jobs.map(async (held) => {
      for (;;) {
        const job = (await client.get(`/api/jobs/${held.id}`)).body
        if (job.status === 'completed' && job.attempts === held.attempts) return 0
        if (job.volunteer_id !== volunteerId || job.attempts > held.attempts)
          return Date.now() - since
        if (Date.now() - since > 15_000) throw new Error(`job ${held.id} was never re-queued`)
        await sleep(20)
      }
    }),
  )
}

/** The batch ended with every job completed once, each with its own right answer. */
async function expectExactlyOnce(client: ReturnType<typeof api>, batchId: string, jobs: number) {
  const summary = (await client.get(`/api/jobs/batch/${batchId}?wait=60`)).body
  expect(summary).toMatchObject({ done: true, completed: jobs, failed: 0 })
  const { body } = await client.get(`/api/jobs?batch_id=${batchId}&limit=1000`)
  expect(body.jobs).toHaveLength(jobs)
  const results = new Map<number, number>()
  for (const job of body.jobs) {
    expect(job.status).toBe('completed')
    expect(job.result).toBe(job.input_data.n * 3)
    results.set(job.input_data.n, (results.get(job.input_data.n) ?? 0) + 1)
  }
  expect(results.size).toBe(jobs)
  const stats = (await client.get('/stats')).body.jobs
  expect(stats).toMatchObject({ completed: jobs, failed: 0, pending: 0, running: 0 })
  // The counter moves once per job that ends: a second completion of any job would show here.
  const metrics = (await client.get('/metrics')).body as string
  expect(metrics).toContain(
    `zerverless_jobs_finished_total{runtime="js",state="completed"} ${jobs}`,
  )
  expect(metrics).not.toMatch(/zerverless_jobs_finished_total\{runtime="js",state="failed"\}/)
  return body.jobs as { attempts: number }[]
}

/**
 * Waits until the batch has made progress for this round, then picks up to VICTIMS volunteers that
 * hold jobs right now (so their jobs must move), with what each holds.
 */
async function victimsOfRound(
  client: ReturnType<typeof api>,
  live: (WorkerProcess & { id: string })[],
  round: number,
) {
  await eventually(
    async () => (await client.get('/stats')).body.jobs.completed >= 30 + round * 50 || undefined,
    30_000,
    `progress before round ${round + 1}`,
  )
  const held = await heldBy(client)
  const victims = live.filter((w) => held.has(w.id)).slice(0, VICTIMS)
  expect(victims.length).toBeGreaterThan(0)
  return { held, victims }
}

describe('churn', () => {
  it('completes every job exactly once while 30 % of the volunteers are killed -9, three times over', async () => {
    const { client, live, batchId } = await setUp(JOBS)
    const delays: number[] = []
    const replacements: Promise<WorkerProcess & { id: string }>[] = []
    for (let round = 0; round < 3; round++) {
      // Victims holding work, so their jobs must move; by PID, like a machine pulling its plug.
      const { held, victims } = await victimsOfRound(client, live, round)
      const killedAt = Date.now()
      await Promise.all(victims.map((w) => w.kill()))
      const moved = victims.map((w) => requeueDelay(client, w.id, held.get(w.id) ?? [], killedAt))
      for (const victim of victims) live.splice(live.indexOf(victim), 1)
      replacements.push(...victims.map(() => startVolunteer((server as ZerverlessProcess).wsUrl)))
      delays.push(...(await Promise.all(moved)).flat())
    }
    // Replacements join while the batch runs; the next rounds kill only survivors.
    await Promise.all(replacements)
    expect(delays.length).toBeGreaterThanOrEqual(3)
    console.log(`killed: re-queued after ${delays.join(', ')} ms`)
    for (const delay of delays) expect(delay).toBeLessThan(REQUEUE_BOUND_MS)
    const jobs = await expectExactlyOnce(client, batchId, JOBS)
    // Some jobs were caught mid-run and ran again.
    expect(jobs.some((j) => j.attempts > 1)).toBe(true)
  }, 90_000)

  it('re-queues the jobs of frozen volunteers within two heartbeat intervals and refuses their late results', async () => {
    const { client, live, batchId } = await setUp(FROZEN_JOBS)
    const delays: number[] = []
    for (let round = 0; round < 2; round++) {
      const { held, victims } = await victimsOfRound(client, live, round)
      // SIGSTOP keeps the sockets open: only the missing heartbeats tell the orchestrator.
      const frozenAt = Date.now()
      for (const victim of victims) victim.signal('SIGSTOP')
      const welcomes = victims.map((w) => w.volunteerIds().length)
      delays.push(
        ...(
          await Promise.all(
            victims.map((w) => requeueDelay(client, w.id, held.get(w.id) ?? [], frozenAt)),
          )
        ).flat(),
      )
      // Thawed, they finish what they were running and report it late, then reconnect as new
      // volunteers; none of the late results may count.
      for (const victim of victims) victim.signal('SIGCONT')
      await eventually(
        () => victims.every((w, i) => w.volunteerIds().length > (welcomes[i] ?? 0)) || undefined,
        20_000,
        'thawed workers to reconnect',
      )
      for (const victim of victims) victim.id = victim.volunteerIds().at(-1) as string
    }
    console.log(`frozen: re-queued after ${delays.join(', ')} ms`)
    for (const delay of delays) expect(delay).toBeLessThan(REQUEUE_BOUND_MS)
    expect(delays.length).toBeGreaterThanOrEqual(3)
    const jobs = await expectExactlyOnce(client, batchId, FROZEN_JOBS)
    expect(jobs.some((j) => j.attempts > 1)).toBe(true)
    const dropped = (server as ZerverlessProcess).output()
    expect(dropped).not.toMatch(/unhandled|TypeError/)
  }, 90_000)
})
