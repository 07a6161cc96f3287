/**
 * Guests report progress: a js, a lua and a python job on a real `zerverless --worker` process
 * call `progress(fraction, message)`, and `GET /api/jobs/{id}` shows it while they run. Each job
 * then waits for a database key the test sets, so "while running" needs no clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { ScriptedVolunteer } from '../helpers/scripted-volunteer'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import {
  eventually,
  removeDir,
  startZerverless,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

let orchestrator: ZerverlessProcess
let worker: WorkerProcess
let client: ApiClient

beforeAll(async () => {
  orchestrator = await startZerverless(['--workers', '0'])
  client = api(orchestrator.url)
  // The worker takes the `default` namespace; jobs in `scripted` wait for the test's volunteer.
  worker = startWorker(orchestrator.wsUrl, 2, ['--namespaces', 'default'])
  await eventually(
    async () => (await client.get('/stats')).body.volunteers.idle >= 2 || undefined,
    20_000,
    'the worker to connect',
  )
}, 30_000)

afterAll(async () => {
  await worker?.kill()
  await orchestrator?.kill()
  if (orchestrator) removeDir(orchestrator.dataDir)
})

/** Each job reports, then polls the key `go-<runtime>` until the test sets it. */
const JOBS = {
  js: `progress(0.4, "step 2")
while (db.get(INPUT.key) === null) { const t = Date.now(); while (Date.now() - t < 20) {} }
"finished"`,
  lua: `progress(0.5, "halfway")
while db.get(INPUT.key) == nil do local t = os.clock() while os.clock() - t < 0.02 do end end
return "finished"`,
  python: `import time
progress(0.75)
while db.get(INPUT["key"]) is None:
    t = time.time()
    while time.time() - t < 0.02:
        pass
"finished"`,
} as const

const EXPECTED = {
  js: { fraction: 0.4, message: 'step 2' },
  lua: { fraction: 0.5, message: 'halfway' },
  python: { fraction: 0.75, message: null },
}

async function submit(
  jobType: string,
  code: string,
  key: string,
  namespace = 'default',
): Promise<string> {
  const res = await client.post('/api/jobs', {
    namespace,
    job_type: jobType,
    code,
    input_data: { key },
    timeout_seconds: 60,
    untrusted_db: { read: ['go-'], write: [] },
  })
  expect(res.status).toBe(201)
  return res.body.id as string
}

describe('guest progress', () => {
  for (const runtime of ['js', 'lua', 'python'] as const) {
    it(`shows a running ${runtime} job's progress, and none once it finished`, async () => {
      const key = `go-${runtime}`
      const id = await submit(runtime, JOBS[runtime], key)
      const shown = await eventually(
        async () => (await client.get(`/api/jobs/${id}`)).body.progress ?? undefined,
        60_000,
        `${runtime} progress`,
      )
      expect(shown).toEqual({ ...EXPECTED[runtime], at: expect.any(String) })
      expect(Number.isNaN(Date.parse(shown.at))).toBe(false)
      const running = await client.get(`/api/jobs/${id}`)
      expect(running.body.status).toBe('running')
      // Listings carry it too.
      const listed = await client.get('/api/jobs?status=running')
      const mine = listed.body.jobs.find((job: { id: string }) => job.id === id)
      expect(mine.progress).toMatchObject(EXPECTED[runtime])

      expect((await client.put(`/api/db/default/${key}`, { value: true })).status).toBe(200)
      const done = await eventually(async () => {
        const job = (await client.get(`/api/jobs/${id}`)).body
        return job.status === 'completed' || job.status === 'failed' ? job : undefined
      }, 60_000)
      expect(done).toMatchObject({ status: 'completed', result: 'finished', progress: null })
    }, 120_000)
  }

  it('fails a guest that reports a fraction outside 0..1, naming the call', async () => {
    for (const [runtime, code] of [
      ['js', 'progress(1.5, "too far")'],
      ['lua', 'progress("half")'],
      ['python', 'progress(float("nan"))'],
    ] as const) {
      const id = await submit(runtime, code, 'unused')
      const done = await eventually(async () => {
        const job = (await client.get(`/api/jobs/${id}`)).body
        return job.status === 'completed' || job.status === 'failed' ? job : undefined
      }, 60_000)
      expect(done.status).toBe('failed')
      expect(done.error.message).toContain('progress(fraction, message): fraction must be')
    }
  }, 120_000)

  it('keeps a flood of reports from the socket: the job finishes, and its volunteer stays', async () => {
    const before = (await client.get('/api/volunteers')).body
    const code = `for (let i = 0; i <= 200000; i++) progress(i / 200000, "item " + i)
while (db.get(INPUT.key) === null) { const t = Date.now(); while (Date.now() - t < 20) {} }
"flooded"`
    const id = await submit('js', code, 'go-flood')
    // The last report of the loop is what the job shows: the latest word is never lost.
    await eventually(
      async () =>
        (await client.get(`/api/jobs/${id}`)).body.progress?.message === 'item 200000' || undefined,
      60_000,
      'the last report',
    )
    expect((await client.get(`/api/jobs/${id}`)).body.progress.fraction).toBe(1)
    await client.put('/api/db/default/go-flood', { value: true })
    const done = await eventually(async () => {
      const job = (await client.get(`/api/jobs/${id}`)).body
      return job.status === 'completed' || job.status === 'failed' ? job : undefined
    }, 60_000)
    expect(done).toMatchObject({ status: 'completed', result: 'flooded' })
    const after = (await client.get('/api/volunteers')).body
    expect(idsOf(after)).toEqual(idsOf(before))
  }, 120_000)
})

describe('progress a volunteer reports', () => {
  it('keeps only well-formed reports about a job the volunteer holds, and refuses the rest', async () => {
    const volunteer = await ScriptedVolunteer.connect(orchestrator.wsUrl, {
      runtimes: ['js'],
      namespaces: ['scripted'],
    })
    try {
      const id = await submit('js', '1', 'unused', 'scripted')
      const frame = await volunteer.next('job')
      expect(frame.job_id).toBe(id)
      const ref = { type: 'progress', job_id: id, attempt: frame.attempt }
      volunteer.send({ ...ref, fraction: 0.3, message: 'kept' })
      const kept = await eventually(
        async () => (await client.get(`/api/jobs/${id}`)).body.progress ?? undefined,
        10_000,
        'the report kept',
      )
      expect(kept).toMatchObject({ fraction: 0.3, message: 'kept' })

      volunteer.send({ ...ref, fraction: 2 })
      expect(await volunteer.next('error')).toMatchObject({ code: 'BAD_FRAME' })
      volunteer.send({ ...ref, fraction: 0.5, message: 'x'.repeat(2000) })
      expect(await volunteer.next('error')).toMatchObject({ code: 'BAD_FRAME' })
      volunteer.send({ ...ref, attempt: frame.attempt + 1, fraction: 0.6 })
      expect(await volunteer.next('error')).toMatchObject({ code: 'UNKNOWN_JOB', job_id: id })
      volunteer.send({ ...ref, job_id: 'made-up', fraction: 0.7 })
      expect(await volunteer.next('error')).toMatchObject({ code: 'UNKNOWN_JOB' })

      const job = (await client.get(`/api/jobs/${id}`)).body
      expect(job).toMatchObject({ status: 'running', progress: kept })
      volunteer.complete(frame, 1)
      const done = await eventually(async () => {
        const body = (await client.get(`/api/jobs/${id}`)).body
        return body.status === 'completed' ? body : undefined
      })
      expect(done.progress).toBeNull()
    } finally {
      volunteer.terminate()
    }
  }, 60_000)
})

function idsOf(body: unknown): string[] {
  const list = Array.isArray(body) ? body : (body as { volunteers: { id: string }[] }).volunteers
  return list.map((v: { id: string }) => v.id).sort()
}
