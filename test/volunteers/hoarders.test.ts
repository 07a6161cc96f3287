/**
 * Volunteers that take jobs and never answer ("hoarders"), reconnecting as soon as they are
 * dropped, next to one honest `zerverless --worker` process. A deadline that passes without a
 * report is the volunteer's failure: the job runs elsewhere, and a volunteer that keeps missing
 * deadlines waits longer before it gets work again, reconnecting from its address or not.
 *
 * The server runs with `--limit-loopback`, which makes loopback clients count by address like
 * remote ones: the hoarders share 127.0.0.1 with the honest worker, and the volunteer that keeps
 * missing speaks from 127.0.0.3 (another loopback address, so another address to the server).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { HEARTBEAT_FRAME } from '../../shared/protocol/frames'
import { api } from '../helpers/api'
import { ScriptedVolunteer, type Frame } from '../helpers/scripted-volunteer'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

let server: ZerverlessProcess
let client: ReturnType<typeof api>
let honest: WorkerProcess
const opened: ScriptedVolunteer[] = []
const hoarders: Hoarder[] = []

/** Connects a scripted volunteer from `from` that sends heartbeats (so only its silence on jobs counts). */
async function connectFrom(
  from: string | undefined,
  caps: Parameters<typeof ScriptedVolunteer.connect>[1],
) {
  const v = await ScriptedVolunteer.connect(server.wsUrl, caps, from ? { from } : {})
  opened.push(v)
  const timer = setInterval(() => v.isOpen && v.send(HEARTBEAT_FRAME), 300)
  v.onClose(() => clearInterval(timer))
  return v
}

/** Takes every job it is offered, answers none, and connects again whenever it is closed. */
class Hoarder {
  readonly connections: ScriptedVolunteer[] = []
  private stopped = false

  constructor(
    private readonly from: string | undefined,
    private readonly caps: Parameters<typeof ScriptedVolunteer.connect>[1],
  ) {}

  async start(): Promise<void> {
    if (this.stopped) return
    const v = await connectFrom(this.from, this.caps)
    this.connections.push(v)
    v.onClose(() => {
      if (!this.stopped) setTimeout(() => void this.start().catch(() => undefined), 50)
    })
  }

  /** Every job frame any of its connections received. */
  get jobs(): Frame[] {
    return this.connections.flatMap((v) => v.frames.filter((f) => f.type === 'job'))
  }

  stop(): void {
    this.stopped = true
    for (const v of this.connections) v.terminate()
  }
}

const volunteers = async () => (await client.get('/api/volunteers')).body.volunteers as Frame[]
const backoffOf = async (id: string | undefined) =>
  (await volunteers()).find((v) => v.id === id)?.backoff as
    { strikes: number; held_until: string | null } | undefined

beforeAll(async () => {
  server = await startZerverless([
    '--workers',
    '0',
    '--heartbeat-interval',
    '1',
    '--limit-loopback',
    '--rate-limit',
    '0',
    '--log-level',
    'warn',
  ])
  client = api(server.url)
})

// Hoarders live for one test only.
afterEach(() => {
  for (const h of hoarders) h.stop()
})

afterAll(async () => {
  for (const v of opened) v.terminate()
  await honest?.kill()
  await server.kill()
  removeDir(server.dataDir)
})

describe('hoarding volunteers', () => {
  it('runs all 20 jobs on the honest worker when two reconnecting hoarders take them and never answer', async () => {
    // The hoarders say hello first, so every job of the batch goes to them (10 slots each).
    for (let i = 0; i < 2; i++) {
      const h = new Hoarder(undefined, {
        runtimes: ['js'],
        namespaces: ['default'],
        concurrency: 10,
      })
      hoarders.push(h)
      await h.start()
    }
    // The honest worker takes `default` only, so the bait of the next test stays with its hoarder.
    honest = startWorker(server.wsUrl, 1, ['--namespaces', 'default'])
    await eventually(() => honest.volunteerIds().length === 1 || undefined, 20_000, 'honest worker')
    const batch = await client.post('/api/jobs/batch', {
      job_type: 'js',
      code: 'INPUT.n * 2',
      inputs: Array.from({ length: 20 }, (_, n) => ({ n })),
      timeout_seconds: 2,
      max_retries: 3,
    })
    expect(batch.status).toBe(201)
    const summary = (await client.get(`/api/jobs/batch/${batch.body.batch_id}?wait=60`)).body
    expect(summary).toMatchObject({ done: true, completed: 20, failed: 0 })

    const { body } = await client.get(`/api/jobs?batch_id=${batch.body.batch_id}&limit=100`)
    const honestIds = new Set(honest.volunteerIds())
    const hoarded = new Set(hoarders.flatMap((h) => h.jobs.map((f) => f.job_id as string)))
    expect(hoarded.size).toBe(20) // every job went to a hoarder first
    for (const job of body.jobs) {
      expect(job).toMatchObject({ status: 'completed', result: job.input_data.n * 2 })
      expect(honestIds.has(job.volunteer_id), `job ${job.id} ran on ${job.volunteer_id}`).toBe(true)
      // Its first attempt was the hoarder's; re-queued, it ran again (attempts + 1).
      expect(job.attempts).toBeGreaterThanOrEqual(2)
      expect(job.attempts).toBeLessThanOrEqual(4)
    }
    // The hoarders are dropped for their silence (DEADLINE_MISSED) and come back.
    await eventually(
      () => hoarders.every((h) => h.connections.length > 1) || undefined,
      10_000,
      'hoarders reconnecting',
    )
    for (const h of hoarders)
      expect(
        h.connections[0]!.frames.some((f) => f.type === 'error' && f.code === 'DEADLINE_MISSED'),
      ).toBe(true)
  })

  it('makes a volunteer that keeps missing deadlines wait longer each time, also after it reconnects', async () => {
    const caps = { runtimes: ['js' as const], namespaces: ['bait'] }
    const first = await connectFrom('127.0.0.3', caps)
    const created = (
      await client.post('/api/jobs', {
        job_type: 'js',
        namespace: 'bait',
        code: '"finally"',
        timeout_seconds: 1,
        max_retries: 5,
      })
    ).body
    expect(await first.next('job')).toMatchObject({ job_id: created.id, attempt: 1 })
    // It says nothing: at the deadline (plus grace) the job is taken back, not failed.
    expect(await first.next('cancel', 10_000)).toMatchObject({
      job_id: created.id,
      reason: 'timeout',
    })
    const held1 = await backoffOf(first.volunteerId)
    expect(held1).toMatchObject({ strikes: 1, held_until: expect.any(String) })
    first.terminate()
    await first.waitClosed()
    expect((await client.get(`/api/jobs/${created.id}`)).body).toMatchObject({
      status: 'pending',
      attempts: 1,
    })

    // Reconnecting from the same address does not make it someone new.
    const second = await connectFrom('127.0.0.3', caps)
    expect((await backoffOf(second.volunteerId))?.strikes).toBe(1)
    const retry = await second.next('job', 20_000)
    const gotAt = Date.now()
    expect(retry).toMatchObject({ job_id: created.id, attempt: 2 })
    expect(gotAt).toBeGreaterThanOrEqual(Date.parse(held1!.held_until!))
    await second.next('cancel', 10_000)
    const held2 = await backoffOf(second.volunteerId)
    expect(held2?.strikes).toBe(2)
    expect(Date.parse(held2!.held_until!)).toBeGreaterThan(Date.parse(held1!.held_until!))
    second.terminate()
    await second.waitClosed()

    // Third time, it answers (once its longer wait is over): the job completes, one strike forgiven.
    const third = await connectFrom('127.0.0.3', caps)
    expect((await backoffOf(third.volunteerId))?.strikes).toBe(2)
    const last = await third.next('job', 30_000)
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(held2!.held_until!))
    expect(last).toMatchObject({ job_id: created.id, attempt: 3 })
    third.complete(last, 'finally')
    expect((await client.get(`/api/jobs/${created.id}?wait=10`)).body).toMatchObject({
      status: 'completed',
      result: 'finally',
      attempts: 3,
    })
    expect((await backoffOf(third.volunteerId))?.strikes).toBe(1)
  })

  it('does not hold back an honest volunteer that shares an address with a hoarder', async () => {
    // The honest worker and the reconnecting hoarders above all spoke from 127.0.0.1; the
    // worker, connected before their first miss and never silent itself, has no strikes.
    const mine = (await volunteers()).find((v) => honest.volunteerIds().includes(v.id))
    expect(mine?.backoff).toEqual({ strikes: 0, held_until: null })
    const job = await client.run({ job_type: 'js', code: '6 * 7' })
    expect(job).toMatchObject({ status: 'completed', result: 42 })
  })
})
