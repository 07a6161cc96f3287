/**
 * How jobs reach volunteers, with volunteers scripted frame by frame over in-memory sockets to the
 * core in this process (no other volunteers).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { keepAlive as beat, type ScriptedVolunteer } from '../helpers/scripted-volunteer'
import { createTestApp, type TestApp } from '../helpers/test-app'

let server: TestApp
let client: ApiClient
const volunteers: ScriptedVolunteer[] = []

async function volunteer(caps: Parameters<TestApp['scripted']>[0] = {}) {
  const v = await server.scripted(caps)
  volunteers.push(v)
  return v
}

beforeAll(async () => {
  server = await createTestApp({ volunteers: 0, config: { heartbeatIntervalMs: 400 } })
  client = server.api
})

afterEach(async () => {
  const leaving = volunteers.splice(0)
  for (const v of leaving) v.close()
  await Promise.all(leaving.map((v) => v.waitClosed()))
  await eventually(
    async () => (await client.get('/stats')).body.volunteers.connected === 0 || undefined,
  )
  // Leave nothing pending or running for the next test.
  for (const status of ['pending', 'running']) {
    const { body } = await client.get(`/api/jobs?status=${status}&limit=1000`)
    for (const job of body.jobs) await client.delete(`/api/jobs/${job.id}`)
  }
})

afterAll(async () => {
  await server.close()
})

/** Keeps a scripted volunteer alive across the short heartbeat interval used here. */
const keepAlive = (v: ScriptedVolunteer) => beat(v, 100)

const submit = async (job: Record<string, unknown>) => (await client.post('/api/jobs', job)).body

describe('dispatch', () => {
  it('sends a job only to a volunteer that offers its runtime', async () => {
    const js = await volunteer({ runtimes: ['js'] })
    const lua = await volunteer({ runtimes: ['lua'] })
    keepAlive(js)
    keepAlive(lua)
    const job = await submit({ job_type: 'lua', code: 'return 1' })
    const frame = await lua.next('job')
    expect(frame).toMatchObject({
      job_id: job.id,
      attempt: 1,
      job_type: 'lua',
      code: 'return 1',
      namespace: 'default',
      input_data: null,
      timeout_ms: 30_000,
    })
    await js.expectNo('job', 200)
    lua.complete(frame, 1)
    expect((await client.get(`/api/jobs/${job.id}?wait=5`)).body).toMatchObject({
      status: 'completed',
      result: 1,
      volunteer_id: lua.volunteerId,
    })
  })

  it('respects namespace whitelists', async () => {
    const bobOnly = await volunteer({ namespaces: ['bob'] })
    keepAlive(bobOnly)
    const alice = await submit({ job_type: 'js', code: '1', namespace: 'alice' })
    await bobOnly.expectNo('job', 200)
    const bob = await submit({ job_type: 'js', code: '2', namespace: 'bob' })
    expect(await bobOnly.next('job')).toMatchObject({ job_id: bob.id, namespace: 'bob' })
    expect((await client.get(`/api/jobs/${alice.id}`)).body.status).toBe('pending')
  })

  it('never gives a volunteer more jobs than its concurrency, oldest first', async () => {
    const jobs = []
    for (let i = 0; i < 4; i++) jobs.push(await submit({ job_type: 'js', code: `${i}` }))
    const v = await volunteer({ concurrency: 2 })
    keepAlive(v)
    const first = await v.next('job')
    const second = await v.next('job')
    expect([first.job_id, second.job_id]).toEqual([jobs[0].id, jobs[1].id])
    await v.expectNo('job', 200)
    v.complete(first, 0)
    expect((await v.next('job')).job_id).toBe(jobs[2].id)
    await v.expectNo('job', 150)
  })

  it('does not let a job nobody can run block the others', async () => {
    const python = await submit({ job_type: 'python', code: 'print(1)' })
    const lua = await submit({ job_type: 'lua', code: 'return 2' })
    const v = await volunteer({ runtimes: ['lua'] })
    keepAlive(v)
    const frame = await v.next('job')
    expect(frame.job_id).toBe(lua.id)
    v.complete(frame, 2)
    expect((await client.get(`/api/jobs/${lua.id}?wait=5`)).body.status).toBe('completed')
    expect((await client.get(`/api/jobs/${python.id}`)).body.status).toBe('pending')
  })

  it('re-queues a running job when its volunteer disconnects, counting the attempt', async () => {
    const first = await volunteer()
    keepAlive(first)
    const job = await submit({ job_type: 'js', code: '1' })
    expect((await first.next('job')).attempt).toBe(1)
    first.close()
    await eventually(
      async () => (await client.get(`/api/jobs/${job.id}`)).body.status === 'pending' || undefined,
    )
    const second = await volunteer()
    keepAlive(second)
    const retry = await second.next('job')
    expect(retry).toMatchObject({ job_id: job.id, attempt: 2 })
    second.complete(retry, 'ok')
    expect((await client.get(`/api/jobs/${job.id}?wait=5`)).body).toMatchObject({
      status: 'completed',
      attempts: 2,
      result: 'ok',
    })
  })

  it('fails a job after max_retries disconnects', async () => {
    const job = await submit({ job_type: 'js', code: '1', max_retries: 1 })
    for (let attempt = 1; attempt <= 2; attempt++) {
      const v = await volunteer()
      expect((await v.next('job')).attempt).toBe(attempt)
      v.close()
      await v.waitClosed()
    }
    const failed = (await client.get(`/api/jobs/${job.id}?wait=5`)).body
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: {
        code: 'MAX_RETRIES',
        message: 'gave up after 2 attempts: the volunteer running it disconnected',
      },
    })
  })

  it('drops a volunteer that stops sending heartbeats and re-queues its job', async () => {
    const silent = await volunteer()
    const job = await submit({ job_type: 'js', code: '1' })
    await silent.next('job')
    const closed = await silent.waitClosed(5000)
    expect(closed.code).toBe(1008)
    expect(
      silent.frames.find((f) => f.type === 'error' && f.code === 'HEARTBEAT_TIMEOUT'),
    ).toBeDefined()
    expect((await client.get(`/api/jobs/${job.id}`)).body).toMatchObject({
      status: 'pending',
      attempts: 1,
    })
  })

  it('enforces timeout_seconds itself: a silent volunteer gets a cancel and the job is taken back from it', async () => {
    const v = await volunteer()
    keepAlive(v)
    // No retries left: the attempt it sat on was the last one.
    const job = await submit({
      job_type: 'js',
      code: 'while(true){}',
      timeout_seconds: 1,
      max_retries: 0,
    })
    const frame = await v.next('job')
    expect(await v.next('cancel', 5000)).toMatchObject({
      job_id: job.id,
      attempt: frame.attempt,
      reason: 'timeout',
    })
    expect((await client.get(`/api/jobs/${job.id}`)).body).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: {
        code: 'MAX_RETRIES',
        message:
          'gave up after 1 attempt: the volunteer running it sent no report within its 1 s timeout and 1 s of grace',
      },
    })
    // A result after the deadline is refused; once its short hold is over it gets the next job.
    v.complete(frame, 'late')
    expect(await v.next('error')).toMatchObject({ code: 'UNKNOWN_JOB', job_id: job.id })
    expect((await client.get(`/api/jobs/${job.id}`)).body.status).toBe('failed')
    const next = await submit({ job_type: 'js', code: '2' })
    expect((await v.next('job')).job_id).toBe(next.id)
  })

  it('sends a cancel to the volunteer running a job cancelled through the API', async () => {
    const v = await volunteer()
    keepAlive(v)
    const job = await submit({ job_type: 'lua', code: 'while true do end' })
    const frame = await v.next('job')
    expect((await client.delete(`/api/jobs/${job.id}`)).body.status).toBe('cancelled')
    expect(await v.next('cancel')).toMatchObject({
      job_id: job.id,
      attempt: frame.attempt,
      reason: 'cancelled',
    })
  })

  it('ignores results from volunteers that do not hold the job', async () => {
    const holder = await volunteer()
    const liar = await volunteer()
    keepAlive(holder)
    keepAlive(liar)
    const job = await submit({ job_type: 'js', code: '1' })
    const frame = await Promise.race([holder.next('job'), liar.next('job')])
    const [real, fake] = holder.frames.includes(frame) ? [holder, liar] : [liar, holder]
    fake.complete(frame, 'forged')
    expect(await fake.next('error')).toMatchObject({ code: 'UNKNOWN_JOB' })
    real.send({
      type: 'result',
      job_id: frame.job_id,
      attempt: 99,
      result: 'wrong attempt',
      output: '',
    })
    expect(await real.next('error')).toMatchObject({ code: 'UNKNOWN_JOB' })
    real.complete(frame, 'genuine')
    expect((await client.get(`/api/jobs/${job.id}?wait=5`)).body.result).toBe('genuine')
  })

  it('records a guest failure reported by the volunteer', async () => {
    const v = await volunteer()
    keepAlive(v)
    const job = await submit({ job_type: 'lua', code: 'error("x")' })
    const frame = await v.next('job')
    v.send({
      type: 'error',
      job_id: frame.job_id,
      attempt: frame.attempt,
      error: { code: 'GUEST_ERROR', message: 'job:1: x', line: 1 },
      output: 'partial\n',
    })
    expect((await client.get(`/api/jobs/${job.id}?wait=5`)).body).toMatchObject({
      status: 'failed',
      output: 'partial\n',
      error: { code: 'GUEST_ERROR', line: 1 },
    })
  })
})

describe('protocol hygiene', () => {
  it('answers malformed frames with error frames naming the problem', async () => {
    const v = await volunteer()
    keepAlive(v)
    v.send('not json')
    expect(await v.next('error')).toMatchObject({
      code: 'BAD_FRAME',
      message: 'frame is not JSON text',
    })
    v.send({ type: 'result', job_id: 'x' })
    expect(await v.next('error')).toMatchObject({
      code: 'BAD_FRAME',
      message: 'attempt is required',
    })
    v.send({ type: 'teleport' })
    expect(await v.next('error')).toMatchObject({ code: 'BAD_FRAME' })
  })

  it('wants a hello before anything else', async () => {
    const v = await volunteer(false)
    v.send({ type: 'drain' })
    expect(await v.next('error')).toMatchObject({ code: 'HELLO_REQUIRED' })
  })

  it('refuses another protocol version', async () => {
    const v = await volunteer(false)
    v.send({
      type: 'hello',
      protocol: 99,
      agent: { kind: 'node' },
      capabilities: { runtimes: ['js'], concurrency: 1 },
    })
    expect(await v.next('error')).toMatchObject({ code: 'PROTOCOL_VERSION' })
    expect((await v.waitClosed()).code).toBe(1002)
  })

  it('closes the socket after repeated abuse', async () => {
    const v = await volunteer()
    for (let i = 0; i < 30; i++) v.send(`garbage ${i}`)
    expect((await v.waitClosed()).code).toBe(1008)
    expect(v.frames.some((f) => f.type === 'error' && f.code === 'TOO_MANY_BAD_FRAMES')).toBe(true)
  })

  it('answers heartbeats', async () => {
    const v = await volunteer()
    v.send({ type: 'heartbeat' })
    await v.next('heartbeat_ack')
  })

  it('stays healthy through all of it', async () => {
    expect((await client.get('/health')).status).toBe(200)
  })
})

describe('malformed reports', () => {
  it('re-queues a held job at once when its volunteer reports it in a malformed frame', async () => {
    const v = await volunteer()
    keepAlive(v)
    const job = await submit({ job_type: 'js', code: '1' })
    const frame = await v.next('job')
    v.send({
      type: 'error',
      job_id: frame.job_id,
      attempt: frame.attempt,
      error: { code: 'GUEST_ERROR', message: 'x'.repeat(100_000) },
    })
    expect(await v.next('error')).toMatchObject({ code: 'BAD_FRAME' })
    // Not left to its deadline (30 s): handed out again at once, as the next attempt.
    expect(await v.next('job', 2000)).toMatchObject({ job_id: job.id, attempt: 2 })
  })
})

describe('prefetch', () => {
  it('gives a volunteer concurrency + prefetch jobs, and no more', async () => {
    const jobs = []
    for (let i = 0; i < 3; i++) jobs.push(await submit({ job_type: 'js', code: `${i}` }))
    const v = await volunteer({ concurrency: 1, prefetch: 1 })
    keepAlive(v)
    expect((await v.next('job')).job_id).toBe(jobs[0].id)
    expect((await v.next('job')).job_id).toBe(jobs[1].id)
    await v.expectNo('job', 200)
  })

  it('lets a queued job start late without timing it out', async () => {
    const v = await volunteer({ concurrency: 1, prefetch: 1 })
    keepAlive(v)
    const first = await submit({ job_type: 'js', code: '1', timeout_seconds: 2 })
    const second = await submit({ job_type: 'js', code: '2', timeout_seconds: 2 })
    const a = await v.next('job')
    const b = await v.next('job')
    // The volunteer runs them one after the other, each within its own 2 s.
    await new Promise((r) => setTimeout(r, 1500))
    v.complete(a, 'a')
    await new Promise((r) => setTimeout(r, 1900))
    v.complete(b, 'b')
    expect((await client.get(`/api/jobs/${first.id}?wait=5`)).body).toMatchObject({
      status: 'completed',
      result: 'a',
    })
    expect((await client.get(`/api/jobs/${second.id}?wait=5`)).body).toMatchObject({
      status: 'completed',
      result: 'b',
    })
  })
})
