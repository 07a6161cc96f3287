/** The seed README's health and job examples, in process with two volunteers on sandbox threads. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let server: TestApp
let client: ApiClient

beforeAll(async () => {
  server = await createTestApp({ volunteers: 2 })
  client = server.api
  await idleVolunteers(server, 2)
})

afterAll(async () => {
  await server.close()
})

describe('health, info and stats', () => {
  it('reports healthy', async () => {
    expect(await client.get('/health')).toMatchObject({ status: 200, body: { status: 'healthy' } })
  })

  it('describes the node and the runtimes its volunteers offer', async () => {
    const { body } = await client.get('/info')
    expect(body).toMatchObject({
      node_id: 'node-default',
      version: '0.1.0',
      host: 'node',
      protocol_version: 1,
      runtimes: { js: 2, lua: 2 },
    })
    expect(body.uptime_seconds).toBeGreaterThanOrEqual(0)
  })

  it('counts volunteers and jobs', async () => {
    const { body } = await client.get('/stats')
    expect(body.volunteers).toMatchObject({ connected: 2, idle: 2, busy: 0 })
    expect(Object.keys(body.jobs)).toEqual([
      'pending',
      'running',
      'completed',
      'failed',
      'cancelled',
    ])
  })
})

describe('jobs', () => {
  it('runs the seed Lua example: output "Hello World\\n" and result 42', async () => {
    const job = await client.run({
      job_type: 'lua',
      namespace: 'alice',
      code: 'print("Hello " .. INPUT.name); return INPUT.x + INPUT.y',
      input_data: { name: 'World', x: 10, y: 32 },
      timeout_seconds: 30,
    })
    expect(job).toMatchObject({
      status: 'completed',
      namespace: 'alice',
      output: 'Hello World\n',
      result: 42,
      attempts: 1,
      error: null,
    })
    expect(job.volunteer_id).toEqual(expect.any(String))
    expect(job.duration_ms).toBeGreaterThanOrEqual(0)
    expect(Date.parse(job.completed_at)).toBeGreaterThanOrEqual(Date.parse(job.started_at))
  })

  it('runs the seed JavaScript example', async () => {
    const job = await client.run({
      job_type: 'js',
      code: 'console.log("Hello from JS!"); 42',
      timeout_seconds: 30,
    })
    expect(job).toMatchObject({
      status: 'completed',
      output: 'Hello from JS!\n',
      result: 42,
      job_type: 'js',
      namespace: 'default',
    })
  })

  it('accepts "javascript" as an alias of js', async () => {
    expect(await client.run({ job_type: 'javascript', code: '6 * 7' })).toMatchObject({
      status: 'completed',
      job_type: 'js',
      result: 42,
    })
  })

  it('answers 201 with the job, which GET returns by id', async () => {
    const created = await client.post('/api/jobs', { job_type: 'lua', code: 'return 1' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      id: expect.any(String),
      job_type: 'lua',
      timeout_seconds: 30,
      max_retries: 3,
    })
    const fetched = await client.get(`/api/jobs/${created.body.id}?wait=10`)
    expect(fetched).toMatchObject({
      status: 200,
      body: { id: created.body.id, status: 'completed', result: 1 },
    })
  })

  it('fails a job whose guest throws, with the message and line', async () => {
    const job = await client.run({ job_type: 'js', code: 'let a = 1\nthrow new Error("nope")' })
    expect(job).toMatchObject({
      status: 'failed',
      error: { code: 'GUEST_ERROR', message: 'Error: nope', line: 2 },
    })
  })

  it('fails a job that runs past timeout_seconds, and the worker takes the next one', async () => {
    const job = await client.run({ job_type: 'js', code: 'while (true) {}', timeout_seconds: 1 })
    expect(job).toMatchObject({ status: 'failed', error: { code: 'TIMEOUT' } })
    expect(await client.run({ job_type: 'js', code: '1' })).toMatchObject({
      status: 'completed',
      result: 1,
    })
  })

  it('lists newest first with total, limit and offset, filtered by status', async () => {
    const a = await client.run({ job_type: 'lua', code: 'return "a"' })
    const b = await client.run({ job_type: 'lua', code: 'return "b"' })
    const { body } = await client.get('/api/jobs?status=completed&limit=2')
    expect(body).toMatchObject({ limit: 2, offset: 0 })
    expect(body.jobs.map((j: { id: string }) => j.id)).toEqual([b.id, a.id])
    expect(body.total).toBeGreaterThanOrEqual(2)
    const next = await client.get('/api/jobs?status=completed&limit=1&offset=1')
    expect(next.body.jobs[0].id).toBe(a.id)
    const failed = await client.get('/api/jobs?status=failed')
    expect(failed.body.jobs.every((j: { status: string }) => j.status === 'failed')).toBe(true)
  })

  it('cancels a running job, stopping it on its worker', async () => {
    const created = await client.post('/api/jobs', {
      job_type: 'lua',
      code: 'while true do end',
      timeout_seconds: 600,
    })
    await eventually(
      async () =>
        (await client.get(`/api/jobs/${created.body.id}`)).body.status === 'running' || undefined,
    )
    const cancelled = await client.delete(`/api/jobs/${created.body.id}`)
    expect(cancelled).toMatchObject({
      status: 200,
      body: { status: 'cancelled', error: { code: 'CANCELLED' } },
    })
    expect((await client.delete(`/api/jobs/${created.body.id}`)).status).toBe(409)
    // Both workers are free again: two more jobs finish promptly.
    const jobs = await Promise.all([
      client.run({ job_type: 'lua', code: 'return 1' }, 5),
      client.run({ job_type: 'lua', code: 'return 2' }, 5),
    ])
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed'])
    expect((await client.get('/stats')).body.volunteers.busy).toBe(0)
  })

  it('waits with ?wait=N and returns the job still running when time is up', async () => {
    const created = await client.post('/api/jobs', {
      job_type: 'js',
      code: 'const t = Date.now(); while (Date.now() - t < 1500) {} 5',
      timeout_seconds: 10,
    })
    const early = await client.get(`/api/jobs/${created.body.id}?wait=0.2`)
    expect(['pending', 'running']).toContain(early.body.status)
    const done = await client.get(`/api/jobs/${created.body.id}?wait=10`)
    expect(done.body).toMatchObject({ status: 'completed', result: 5 })
  })

  it('runs a batch: one program over many inputs', async () => {
    const inputs = Array.from({ length: 20 }, (_, n) => ({ n }))
    const created = await client.post('/api/jobs/batch', {
      job_type: 'lua',
      code: 'return INPUT.n * INPUT.n',
      inputs,
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      count: 20,
      job_ids: expect.any(Array),
      batch_id: expect.any(String),
    })
    const summary = await client.get(`/api/jobs/batch/${created.body.batch_id}?wait=20`)
    expect(summary.body).toMatchObject({ total: 20, completed: 20, done: true })
    const listed = await client.get(`/api/jobs?batch_id=${created.body.batch_id}&limit=100`)
    const byId = new Map(
      listed.body.jobs.map((j: { id: string; result: number }) => [j.id, j.result]),
    )
    expect(created.body.job_ids.map((id: string) => byId.get(id))).toEqual(
      inputs.map(({ n }) => n * n),
    )
  })
})

describe('bad input', () => {
  const cases: [string, unknown, number, string, string | undefined][] = [
    [
      'an unknown job_type',
      { job_type: 'ruby', code: 'x' },
      400,
      "job_type must be one of js, lua, python, wasm (or javascript, py); got 'ruby'",
      'job_type',
    ],
    ['missing code', { job_type: 'js' }, 400, 'code is required', 'code'],
    ['empty code', { job_type: 'js', code: '' }, 400, 'code must not be empty', 'code'],
    [
      'input_data that is not an object',
      { job_type: 'js', code: '1', input_data: [1] },
      400,
      'input_data must be a JSON object (it becomes INPUT in the job)',
      'input_data',
    ],
    [
      'timeout_seconds out of range',
      { job_type: 'js', code: '1', timeout_seconds: 0 },
      400,
      'timeout_seconds must be between 1 and 3600; got 0',
      'timeout_seconds',
    ],
    [
      'timeout_seconds too long',
      { job_type: 'js', code: '1', timeout_seconds: 3601 },
      400,
      'timeout_seconds must be between 1 and 3600; got 3601',
      'timeout_seconds',
    ],
    [
      'an unknown field',
      { job_type: 'js', code: '1', timeout: 5 },
      400,
      "unknown field 'timeout'",
      'timeout',
    ],
    [
      'a bad namespace',
      { job_type: 'js', code: '1', namespace: '../etc' },
      400,
      'namespace must be 1-64 letters, digits, "-" or "_", starting with a letter or digit',
      'namespace',
    ],
  ]
  for (const [what, body, status, error, field] of cases) {
    it(`rejects ${what}`, async () => {
      const res = await client.post('/api/jobs', body)
      expect(res).toMatchObject({
        status,
        body: { error, code: 'INVALID_REQUEST', ...(field && { field }) },
      })
    })
  }

  it('rejects bodies that are not JSON objects', async () => {
    expect((await client.post('/api/jobs', 'not json')).body).toMatchObject({
      code: 'INVALID_REQUEST',
      error: expect.stringContaining('not valid JSON'),
    })
    expect((await client.post('/api/jobs', '[1]')).body).toMatchObject({
      error: 'the request body must be a JSON object',
    })
  })

  it('rejects bodies over the size limit with 413', async () => {
    const res = await client.post('/api/jobs', {
      job_type: 'js',
      code: `"${'x'.repeat(2 * 1024 * 1024)}"`,
    })
    expect(res).toMatchObject({ status: 413, body: { code: 'PAYLOAD_TOO_LARGE' } })
  })

  it('rejects unknown query values', async () => {
    expect(await client.get('/api/jobs?status=bogus')).toMatchObject({
      status: 400,
      body: { field: 'status' },
    })
    expect(await client.get('/api/jobs?limit=0')).toMatchObject({
      status: 400,
      body: { field: 'limit' },
    })
    expect(await client.get('/api/jobs?offset=-1')).toMatchObject({
      status: 400,
      body: { field: 'offset' },
    })
    expect(await client.get('/api/jobs/x?wait=forever')).toMatchObject({
      status: 400,
      body: { field: 'wait' },
    })
  })

  it('answers unknown jobs and routes with JSON 404', async () => {
    expect(await client.get('/api/jobs/no-such-job')).toMatchObject({
      status: 404,
      body: { code: 'JOB_NOT_FOUND' },
    })
    expect(await client.delete('/api/jobs/no-such-job')).toMatchObject({
      status: 404,
      body: { code: 'JOB_NOT_FOUND' },
    })
    expect(await client.get('/api/nothing')).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    })
  })

  it('rejects a batch with no inputs', async () => {
    const res = await client.post('/api/jobs/batch', {
      job_type: 'lua',
      code: 'return 1',
      inputs: [],
    })
    expect(res).toMatchObject({
      status: 400,
      body: { field: 'inputs', error: 'inputs must hold at least one input' },
    })
  })
})
