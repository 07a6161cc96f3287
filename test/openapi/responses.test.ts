/**
 * A walk of real calls against a real core (SQLite, sandboxed volunteers, auth on): every answer
 * must be one the OpenAPI document declares, its body matching the declared schema (the strict
 * zod schemas of the views, through the document).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'
import { expectMatchesDocument } from '../helpers/openapi-match'
import { toBase64, wasmFixture } from '../helpers/wasm-fixtures'

let server: TestApp

beforeAll(async () => {
  server = await createTestApp({ auth: {}, volunteers: 1 })
  await idleVolunteers(server, 1)
})

afterAll(async () => {
  await server.close()
})

interface Call {
  status: number
  body: any
  headers: Headers
}

/**
 * Sends `method url` (as the admin unless `token` is given) and checks the answer against the
 * document's operation at `path`.
 */
async function call(
  method: string,
  url: string,
  path: string,
  body?: unknown,
  options: { token?: string | null; raw?: BodyInit; type?: string } = {},
): Promise<Call> {
  const token = options.token === undefined ? server.adminToken : options.token
  const res = await server.fetch(url, {
    method,
    headers: {
      ...(token && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(options.type && { 'content-type': options.type }),
    },
    body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  })
  const text = res.headers.get('content-type')?.startsWith('application/wasm')
    ? ''
    : await res.text()
  let parsed: unknown = text
  try {
    parsed = text === '' ? '' : JSON.parse(text)
  } catch {
    // Not JSON: the text itself.
  }
  const answer = { status: res.status, body: parsed, headers: res.headers }
  expectMatchesDocument(answer, method, path)
  return answer as Call
}

describe('answers match the OpenAPI document', () => {
  it('health, info, stats, metrics and the document itself', async () => {
    expect((await call('GET', '/health', '/health')).status).toBe(200)
    expect((await call('GET', '/info', '/info')).status).toBe(200)
    expect((await call('GET', '/stats', '/stats')).status).toBe(200)
    expect((await call('GET', '/metrics', '/metrics')).status).toBe(200)
    expect((await call('GET', '/metrics', '/metrics', undefined, { token: null })).status).toBe(401)
    expect((await call('GET', '/openapi.json', '/openapi.json')).status).toBe(200)
  })

  it('tokens: issue, list, revoke', async () => {
    const issued = await call('POST', '/api/tokens', '/api/tokens', {
      namespaces: ['alice'],
      rights: ['jobs', 'db', 'deploy'],
    })
    expect(issued.status).toBe(201)
    expect((await call('GET', '/api/tokens', '/api/tokens')).body.total).toBeGreaterThan(0)
    const bad = await call('POST', '/api/tokens', '/api/tokens', { namespaces: [] })
    expect(bad.status).toBe(400)
    const other = await call('GET', '/api/tokens', '/api/tokens', undefined, {
      token: issued.body.token,
    })
    expect(other.status).toBe(403)
    const url = `/api/tokens/${issued.body.id}`
    expect((await call('DELETE', url, '/api/tokens/{id}')).status).toBe(204)
    expect((await call('DELETE', '/api/tokens/nope', '/api/tokens/{id}')).status).toBe(404)
  })

  it('jobs: submit and wait, read, cancel a finished one, batches', async () => {
    const job = await call('POST', '/api/jobs?wait=20', '/api/jobs', {
      job_type: 'js',
      code: 'console.log("hi"); INPUT.n * 2',
      input_data: { n: 21 },
    })
    expect(job.body).toMatchObject({ status: 'completed', result: 42 })
    const read = await call('GET', `/api/jobs/${job.body.id}`, '/api/jobs/{id}')
    expect(read.body.output).toContain('hi')
    const cancel = await call('DELETE', `/api/jobs/${job.body.id}`, '/api/jobs/{id}')
    expect(cancel.status).toBe(409)
    expect((await call('GET', '/api/jobs/nope', '/api/jobs/{id}')).status).toBe(404)
    const failed = await call('POST', '/api/jobs?wait=20', '/api/jobs', {
      job_type: 'lua',
      code: 'error("boom")',
    })
    expect(failed.body.status).toBe('failed')
    const invalid = await call('POST', '/api/jobs', '/api/jobs', { job_type: 'cobol', code: 'x' })
    expect(invalid.status).toBe(400)

    const batch = await call('POST', '/api/jobs/batch', '/api/jobs/batch', {
      job_type: 'js',
      code: 'INPUT.x + 1',
      inputs: [{ x: 1 }, { x: 2 }],
    })
    expect(batch.body.count).toBe(2)
    const progress = await call(
      'GET',
      `/api/jobs/batch/${batch.body.batch_id}?wait=20`,
      '/api/jobs/batch/{batchId}',
    )
    expect(progress.body).toMatchObject({ done: true, completed: 2 })
    const waited = await call('POST', '/api/jobs/batch?wait=20', '/api/jobs/batch', {
      job_type: 'js',
      code: 'INPUT.x',
      inputs: [{ x: 1 }],
    })
    expect(waited.body.done).toBe(true)
    const listed = await call(
      'GET',
      `/api/jobs?batch_id=${batch.body.batch_id}&order=input`,
      '/api/jobs',
    )
    expect(listed.body.jobs.map((j: { index: number }) => j.index)).toEqual([0, 1])
    const everyone = await call('GET', '/api/jobs?status=completed&limit=2', '/api/jobs')
    expect(everyone.body.limit).toBe(2)
    expect((await call('GET', '/api/jobs?limit=0', '/api/jobs')).status).toBe(400)
    const outputs = await call('GET', `/api/jobs/${job.body.id}/outputs`, '/api/jobs/{id}/outputs')
    expect(outputs.body).toMatchObject({ outputs: [], total: 0 })
    const upload = await call(
      'PUT',
      `/api/jobs/${job.body.id}/outputs/out.txt`,
      '/api/jobs/{id}/outputs/{path}',
      undefined,
      { token: 'not-its-token', raw: 'x', type: 'text/plain' },
    )
    expect(upload.status).toBe(401)
    const missing = await call(
      'GET',
      `/api/jobs/${job.body.id}/outputs/none.txt`,
      '/api/jobs/{id}/outputs/{path}',
    )
    expect(missing.status).toBe(404)
  })

  it('wasm modules: upload as bytes and as JSON, download', async () => {
    const bytes = await wasmFixture('echo')
    const stored = await call('POST', '/api/wasm', '/api/wasm', undefined, {
      raw: new Blob([bytes as Uint8Array<ArrayBuffer>]),
      type: 'application/wasm',
    })
    expect(stored.status).toBe(201)
    const again = await call('POST', '/api/wasm', '/api/wasm', { wasm_base64: toBase64(bytes) })
    expect(again.body).toMatchObject({ cid: stored.body.cid, created: false })
    const got = await call('GET', `/api/wasm/${stored.body.cid}`, '/api/wasm/{cid}')
    expect(got.status).toBe(200)
    expect((await call('GET', '/api/wasm/x', '/api/wasm/{cid}')).status).toBe(400)
  })

  it('volunteers and runners', async () => {
    const runner = await server.scripted(
      { runtimes: ['native'], concurrency: 2 },
      {
        hello: {
          agent: { kind: 'runner', name: 'walk-runner' },
          token: server.adminToken,
          peer: {
            id: 'walk-runner',
            native: true,
            system: {
              platform: 'linux',
              architecture: 'amd64',
              kernel_version: '6.1.0',
              cpu_model: 'fake',
              cpu_cores: 8,
              cpu_threads: 16,
              total_memory_mb: 65536,
              available_memory_mb: 60000,
              total_disk_mb: 1_000_000,
              available_disk_mb: 900_000,
              gpus: [],
              has_docker: false,
              has_python: false,
            },
          },
        },
      },
    )
    const volunteers = await call('GET', '/api/volunteers', '/api/volunteers')
    expect(volunteers.body.total).toBeGreaterThanOrEqual(2)
    const peers = await call('GET', '/api/peers', '/api/peers')
    expect(peers.body.peers.map((p: { peer_id?: string }) => p.peer_id)).toContain('walk-runner')
    runner.close()
    const federation = await call('GET', '/api/federation/peers', '/api/federation/peers')
    expect(federation.status).toBe(404)
  })

  it('key-value: write, read, list, delete, a missing key', async () => {
    const put = await call('PUT', '/api/db/alice/counter', '/api/db/{ns}/{key}', {
      value: { n: 1 },
      ttl: 3600,
    })
    expect(put.status).toBe(200)
    const got = await call('GET', '/api/db/alice/counter', '/api/db/{ns}/{key}')
    expect(got.body.value).toEqual({ n: 1 })
    const list = await call('GET', '/api/db/alice?prefix=c&limit=5', '/api/db/{ns}')
    expect(list.body.keys).toEqual(['counter'])
    expect((await call('DELETE', '/api/db/alice/counter', '/api/db/{ns}/{key}')).status).toBe(204)
    const missing = await call('GET', '/api/db/alice/counter', '/api/db/{ns}/{key}')
    expect(missing.body).toMatchObject({ exists: false, code: 'KEY_NOT_FOUND' })
    const bad = await call('GET', '/api/db/alice?limit=0', '/api/db/{ns}')
    expect(bad.status).toBe(400)
  })

  it('functions: deploy, call, read, logs, redeploy, roll back, list, delete', async () => {
    const target = '/api/deploy/{user}/{path}'
    const code = (n: number) =>
      `function handle(req) { console.log("called"); return { status: 200, body: "v${n}" } }`
    const v1 = await call('POST', '/api/deploy/alice/hello', target, {
      runtime: 'js',
      code: code(1),
    })
    expect(v1.status).toBe(201)
    const answered = await call('GET', '/alice/hello', '/{user}/{path}', undefined, { token: null })
    expect(answered.body).toBe('v1')
    const missing = await call('GET', '/alice/nothing', '/{user}/{path}', undefined, {
      token: null,
    })
    expect(missing.status).toBe(404)
    expect((await call('GET', '/api/deploy/alice/hello', target)).body.versions).toHaveLength(1)
    const logs = await call('GET', '/api/deploy/alice/hello/logs', target)
    expect(logs.body.invocations[0]).toMatchObject({ status: 200, version: 1 })
    await call('POST', '/api/deploy/alice/hello', target, { runtime: 'js', code: code(2) })
    const rolled = await call('POST', '/api/deploy/alice/hello/rollback', target)
    expect(rolled.body).toMatchObject({ version: 1, code: code(1) })
    const broken = await call('POST', '/api/deploy/alice/broken', target, {
      runtime: 'js',
      code: 'function handle(req) {',
    })
    expect(broken.status).toBe(400)
    const list = await call('GET', '/api/deploy?user=alice', '/api/deploy')
    expect(list.body.total).toBe(1)
    expect((await call('DELETE', '/api/deploy/alice/hello', target)).status).toBe(204)
    expect((await call('DELETE', '/api/deploy/alice/hello', target)).status).toBe(404)
  })

  it('leaves a user named "docs" every path but the docs page\'s own', async () => {
    const target = '/api/deploy/{user}/{path}'
    const body = { runtime: 'js', code: 'function handle(req) { return { body: "mine" } }' }
    expect((await call('POST', '/api/deploy/docs/hello', target, body)).status).toBe(201)
    const answered = await call('GET', '/docs/hello', '/{user}/{path}', undefined, { token: null })
    expect(answered.body).toBe('mine')
  })

  it('sockets refuse plain requests with 426', async () => {
    expect((await call('GET', '/ws/volunteer', '/ws/volunteer')).status).toBe(426)
    expect((await call('GET', '/ws/upload', '/ws/upload')).status).toBe(426)
  })
})
