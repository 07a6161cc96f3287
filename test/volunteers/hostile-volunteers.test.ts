/**
 * Slow and hostile volunteers next to honest worker processes: one that swallows jobs, one that
 * reports jobs it does not hold, one that floods frames, one that sends gigantic results. Each is
 * contained (deadlines, refusals, limits, disconnects) while an honest batch runs beside it, and
 * every job of that batch is done, by honest volunteers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HEARTBEAT_FRAME } from '../../shared/protocol/frames'
import { MAX_RESULT_CHARS } from '../../shared/runtime/limits'
import { api } from '../helpers/api'
import { ScriptedVolunteer, type Frame } from '../helpers/scripted-volunteer'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const MiB = 1024 * 1024
const HONEST = 3
/** Generous: a batch of 60 short jobs on three sandboxes takes well under a second unloaded. */
const BATCH_BOUND_MS = 20_000

let server: ZerverlessProcess
let client: ReturnType<typeof api>
let honest: WorkerProcess
const hostile: ScriptedVolunteer[] = []

beforeAll(async () => {
  server = await startZerverless([
    '--workers',
    '0',
    '--heartbeat-interval',
    '1',
    '--ws-message-rate',
    '1000',
    '--ws-message-burst',
    '500',
    '--log-level',
    'warn',
  ])
  client = api(server.url)
  // Honest workers take only the `honest` namespace, so jobs meant as bait stay with the hostile.
  honest = startWorker(server.wsUrl, HONEST, ['--namespaces', 'honest'])
  await eventually(() => honest.volunteerIds().length === HONEST || undefined, 20_000, 'workers')
})

afterAll(async () => {
  for (const v of hostile) v.terminate()
  await honest.kill()
  await server.kill()
  removeDir(server.dataDir)
})

async function connect(caps: Parameters<typeof ScriptedVolunteer.connect>[1], beat = true) {
  const v = await ScriptedVolunteer.connect(server.wsUrl, caps)
  hostile.push(v)
  if (beat) {
    const timer = setInterval(() => v.isOpen && v.send(HEARTBEAT_FRAME), 300)
    v.onClose(() => clearInterval(timer))
  }
  return v
}

/**
 * Runs a batch in the `honest` namespace; resolves once it is done, checking that every job
 * completed with its own answer, on an honest volunteer, within the bound.
 */
async function honestBatch(count = 60) {
  const started = Date.now()
  const batch = await client.post('/api/jobs/batch', {
    job_type: 'js',
    namespace: 'honest',
    code: 'const t = Date.now(); while (Date.now() - t < 5) {} INPUT.n + 1',
    inputs: Array.from({ length: count }, (_, n) => ({ n })),
    timeout_seconds: 10,
  })
  expect(batch.status).toBe(201)
  const summary = (await client.get(`/api/jobs/batch/${batch.body.batch_id}?wait=60`)).body
  const took = Date.now() - started
  expect(summary).toMatchObject({ done: true, completed: count })
  const { body } = await client.get(`/api/jobs?batch_id=${batch.body.batch_id}&limit=1000`)
  const ids = new Set(honest.volunteerIds())
  for (const job of body.jobs) {
    expect(job.result).toBe(job.input_data.n + 1)
    expect(ids.has(job.volunteer_id), `job ${job.id} ran on ${job.volunteer_id}`).toBe(true)
  }
  expect(took).toBeLessThan(BATCH_BOUND_MS)
  return took
}

const job = async (id: string) => (await client.get(`/api/jobs/${id}`)).body

describe('hostile volunteers', () => {
  it('runs an honest batch at full speed with no hostile volunteer around (the baseline)', async () => {
    await honestBatch()
  })

  it('gives a volunteer that never answers no more than its slots, takes its jobs back at their deadlines, then drops it', async () => {
    const silent = await connect({ runtimes: ['js'], concurrency: 1, prefetch: 1 })
    const bait = []
    for (let i = 0; i < 6; i++) {
      const created = await client.post('/api/jobs', {
        job_type: 'js',
        namespace: 'bait',
        code: `${i}`,
        timeout_seconds: 1,
      })
      bait.push(created.body.id as string)
    }
    const first = await silent.next('job')
    const second = await silent.next('job')
    // Full: concurrency 1 + prefetch 1, however many jobs wait for it.
    await silent.expectNo('job', 300)
    const batch = honestBatch()
    // The deadline passes unanswered: the volunteer gets a cancel, and the job is not failed but
    // back in the queue (its silence is the volunteer's failure, not the guest's).
    expect(await silent.next('cancel', 5_000)).toMatchObject({
      job_id: first.job_id,
      reason: 'timeout',
    })
    expect(await job(first.job_id)).toMatchObject({ error: null })
    expect(['pending', 'running']).toContain((await job(first.job_id)).status)
    // The second missed deadline closes it; whatever it held then goes back to the queue.
    const closed = await silent.waitClosed(15_000)
    expect(closed.code).toBe(1008)
    expect(silent.frames.some((f) => f.type === 'error' && f.code === 'DEADLINE_MISSED')).toBe(true)
    for (const id of [first.job_id, second.job_id])
      expect(await job(id)).toMatchObject({ status: 'pending', error: null })
    // Never more than its two slots at once; four jobs at most in all (two missed, two held).
    let held = 0
    let most = 0
    for (const f of silent.frames) {
      if (f.type === 'job') most = Math.max(most, ++held)
      if (f.type === 'cancel') held--
    }
    expect(most).toBe(2)
    expect(silent.frames.filter((f) => f.type === 'job').length).toBeLessThanOrEqual(4)
    await eventually(
      async () => (await client.get('/api/jobs?namespace=bait&status=running')).body.total === 0,
      5_000,
      'no bait job left running',
    )
    await batch
    for (const id of bait) await client.delete(`/api/jobs/${id}`)
  })

  it('refuses results for jobs a volunteer does not hold, changes no job, and closes it for persisting', async () => {
    const forger = await connect({ runtimes: ['js'], namespaces: ['nobody'] })
    const batch = honestBatch(200)
    // Jobs running on honest volunteers right now, with their real attempt numbers.
    const running = await eventually(
      async () => {
        const { body } = await client.get('/api/jobs?namespace=honest&status=running&limit=10')
        return body.jobs.length > 0 ? (body.jobs as Frame[]) : undefined
      },
      10_000,
      'honest jobs running',
    )
    for (const target of running) {
      forger.send({
        type: 'result',
        job_id: target.id,
        attempt: target.attempts,
        result: 'forged',
        output: '',
      })
    }
    const refusal = await forger.next('error')
    expect(refusal).toMatchObject({ code: 'UNKNOWN_JOB', job_id: running[0]?.id })
    // Past the bad-frame budget (20), made-up reports close the socket.
    for (let i = 0; i < 40 && forger.isOpen; i++)
      forger.send({ type: 'result', job_id: `made-up-${i}`, attempt: 1, result: 0, output: '' })
    expect((await forger.waitClosed(5_000)).code).toBe(1008)
    expect(forger.frames.some((f) => f.type === 'error' && f.code === 'TOO_MANY_BAD_FRAMES')).toBe(
      true,
    )
    await batch // every job, the targeted ones included, has its honest answer
    for (const target of running) expect((await job(target.id)).result).not.toBe('forged')
  })

  it('closes a volunteer flooding frames with 1008 while honest volunteers keep working', async () => {
    const flooder = await connect({ runtimes: ['js'], namespaces: ['nobody'] }, false)
    const batch = honestBatch()
    for (let i = 0; i < 20_000 && flooder.isOpen; i++) flooder.send(HEARTBEAT_FRAME)
    const closed = await flooder.waitClosed(15_000)
    expect(closed.code).toBe(1008)
    expect(flooder.frames.some((f) => f.type === 'error' && f.code === 'RATE_LIMITED')).toBe(true)
    await batch
  })

  it('stores at most 1 MiB of the output and stderr a volunteer reports, marked as cut, whatever it sends', async () => {
    const chatty = await connect({ runtimes: ['js', 'python'], namespaces: ['chatty'] })
    const batch = honestBatch()
    const one = (await client.post('/api/jobs', { job_type: 'js', namespace: 'chatty', code: '1' }))
      .body
    // 12 MiB of output: under the 16 MiB frame limit, twelve times what any runtime prints.
    chatty.complete(await chatty.next('job'), 1, 'a'.repeat(12 * MiB))
    const stored = (await client.get(`/api/jobs/${one.id}?wait=10`)).body
    expect(stored).toMatchObject({ status: 'completed', result: 1 })
    expect(stored.output.length).toBeLessThanOrEqual(MiB + 256)
    expect(stored.output.startsWith('a'.repeat(MiB))).toBe(true)
    expect(stored.output).toMatch(/\[output cut by the orchestrator: \d+ characters? more\]/)

    // A guest error with 5 MiB of output and 5 MiB of stderr: both are cut the same way.
    const two = (
      await client.post('/api/jobs', { job_type: 'python', namespace: 'chatty', code: '2' })
    ).body
    const frame = await chatty.next('job')
    chatty.send({
      type: 'error',
      job_id: frame.job_id,
      attempt: frame.attempt,
      error: { code: 'GUEST_ERROR', message: 'boom' },
      output: 'o'.repeat(5 * MiB),
      stderr: 'e'.repeat(5 * MiB),
    })
    const failed = (await client.get(`/api/jobs/${two.id}?wait=10`)).body
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'GUEST_ERROR' } })
    for (const text of [failed.output, failed.stderr]) {
      expect(text.length).toBeLessThanOrEqual(MiB + 256)
      expect(text).toMatch(/\[output cut by the orchestrator/)
    }

    // A function's logs keep a bounded tail of what its volunteer printed, however long a line.
    const deployed = await client.post('/api/deploy/chatty/talk', {
      runtime: 'js',
      code: 'function handle(req) { return {status: 200, body: "hi"} }',
    })
    expect(deployed.status).toBe(201)
    const call = fetch(`${server.url}/chatty/talk`)
    const invocation = await chatty.next('job')
    chatty.complete(invocation, { status: 200, body: 'hi' }, `short\n${'l'.repeat(12 * MiB)}`)
    expect(await (await call).text()).toBe('hi')
    const logs = (await client.get('/api/deploy/chatty/talk/logs')).body
    const lines = logs.lines.map((l: { line: string }) => l.line) as string[]
    expect(lines).toHaveLength(3)
    expect(lines[0]).toBe('short')
    expect(lines[1]!.length).toBeLessThanOrEqual(16 * 1024)
    expect(lines[1]).toMatch(/^l+… \[line cut: \d+ characters? more\]$/)
    expect(lines[2]).toMatch(/^\[output cut by the orchestrator: \d+ characters? more\]$/)
    await batch
  })

  it('refuses a result over the result limit and re-queues its job; closes a frame over the frame limit with 1009', async () => {
    const giant = await connect({ runtimes: ['js'], namespaces: ['giant'] })
    const created = (
      await client.post('/api/jobs', { job_type: 'js', namespace: 'giant', code: '1' })
    ).body
    const frame = await giant.next('job')
    const batch = honestBatch()
    // Under the 16 MiB frame limit, over the 4 Mi-character result limit every runtime applies.
    giant.complete(frame, 'x'.repeat(MAX_RESULT_CHARS + 1))
    expect(await giant.next('error')).toMatchObject({ code: 'BAD_FRAME' })
    // Not stored: the job goes back to the queue, and (nobody else takes `giant`) comes back here.
    const again = await giant.next('job')
    expect(again).toMatchObject({ job_id: created.id, attempt: 2 })
    giant.complete(again, 'small')
    expect((await client.get(`/api/jobs/${created.id}?wait=5`)).body).toMatchObject({
      status: 'completed',
      result: 'small',
      attempts: 2,
    })
    // Over the frame limit: the socket is closed before the payload is read, let alone buffered.
    giant.send('x'.repeat(16 * MiB + 1))
    expect((await giant.waitClosed(15_000)).code).toBe(1009)
    await batch
    expect((await client.get('/health')).status).toBe(200)
    expect(server.output()).not.toMatch(/unhandled|TypeError|RangeError/)
  })
})
