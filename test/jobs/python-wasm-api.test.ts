/** Python and WebAssembly through the API, as a user submits them; in process, two volunteers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'
import { toBase64, wasmFixture } from '../helpers/wasm-fixtures'

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

describe('python jobs', () => {
  it('runs the seed README example', async () => {
    const job = await client.run(
      {
        job_type: 'python',
        code: 'print("Hello from Python!")\nprint(2 + 2)',
        timeout_seconds: 30,
      },
      60,
    )
    expect(job).toMatchObject({
      status: 'completed',
      output: 'Hello from Python!\n4\n',
      result: null,
      job_type: 'python',
    })
  }, 90_000)

  it('returns the last expression, with INPUT as a dict', async () => {
    const job = await client.run(
      {
        job_type: 'py',
        code: 'total = sum(INPUT["xs"])\n{"total": total}',
        input_data: { xs: [1, 2, 39] },
      },
      60,
    )
    expect(job).toMatchObject({ status: 'completed', result: { total: 42 } })
  }, 90_000)

  it('fails a syntax error with its line and the Python traceback', async () => {
    const job = await client.run({ job_type: 'python', code: 'x = 1\nif x\n  print(x)' }, 60)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'SYNTAX_ERROR', line: 2 } })
    expect(job.error.message).toContain('SyntaxError')
  }, 90_000)

  it('keeps stderr apart from output', async () => {
    const job = await client.run(
      { job_type: 'python', code: 'import sys\nprint("out")\nprint("err", file=sys.stderr)\n1' },
      60,
    )
    expect(job).toMatchObject({ status: 'completed', output: 'out\n', stderr: 'err\n' })
  }, 90_000)
})

describe('wasm jobs', () => {
  it('runs a module sent inline: stdin is input_data, stdout the output and result', async () => {
    const job = await client.run({
      job_type: 'wasm',
      wasm_base64: toBase64(await wasmFixture('echo')),
      input_data: { n: 7 },
    })
    expect(job).toMatchObject({
      status: 'completed',
      result: { n: 7 },
      output: '{"n":7}',
      exit_code: 0,
      wasm_cid: expect.stringMatching(/^b/),
    })
    expect(job.code).toBeUndefined()
  })

  it('uploads a module once and runs it by cid, with args and env', async () => {
    const bytes = await wasmFixture('args')
    const upload = await server.fetch('/api/wasm', {
      method: 'POST',
      headers: { 'content-type': 'application/wasm' },
      body: bytes as Uint8Array<ArrayBuffer>,
    })
    expect(upload.status).toBe(201)
    const { cid, size } = (await upload.json()) as { cid: string; size: number }
    expect(size).toBe(bytes.length)
    const download = await server.fetch(`/api/wasm/${cid}`)
    expect(download.headers.get('content-type')).toBe('application/wasm')
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes)
    const job = await client.run({
      job_type: 'wasm',
      wasm_cid: cid,
      args: ['-v'],
      env: { LEVEL: '3' },
    })
    expect(job).toMatchObject({
      status: 'completed',
      output: 'job.wasm\0-v\0LEVEL=3\0',
      args: ['-v'],
      env: { LEVEL: '3' },
    })
  })

  it('accepts a module as JSON base64 too, and gives the same id for the same bytes', async () => {
    const bytes = await wasmFixture('echo')
    const a = await client.post('/api/wasm', { wasm_base64: toBase64(bytes) })
    const b = await client.post('/api/wasm', { wasm_base64: toBase64(bytes) })
    expect(a.status).toBe(201)
    expect(b.body).toMatchObject({ cid: a.body.cid, created: false })
  })

  it('fails a non-zero exit with stderr and the exit code', async () => {
    const job = await client.run({
      job_type: 'wasm',
      wasm_base64: toBase64(await wasmFixture('exit3')),
    })
    expect(job).toMatchObject({
      status: 'failed',
      exit_code: 3,
      stderr: 'something went wrong\n',
      error: { code: 'GUEST_ERROR' },
    })
  })
})

describe('bad wasm input', () => {
  it('needs a module', async () => {
    expect(await client.post('/api/jobs', { job_type: 'wasm' })).toMatchObject({
      status: 400,
      body: {
        field: 'wasm_base64',
        error:
          'wasm_base64 is required for wasm jobs (or wasm_cid, for a module uploaded with POST /api/wasm)',
      },
    })
  })

  it('refuses invalid base64', async () => {
    expect(
      await client.post('/api/jobs', { job_type: 'wasm', wasm_base64: 'not*base64' }),
    ).toMatchObject({ status: 400, body: { field: 'wasm_base64' } })
  })

  it('answers 404 for an unknown cid', async () => {
    const cid = `b${'a'.repeat(58)}`
    expect(await client.post('/api/jobs', { job_type: 'wasm', wasm_cid: cid })).toMatchObject({
      status: 404,
      body: { code: 'WASM_NOT_FOUND', field: 'wasm_cid' },
    })
    expect((await client.get(`/api/wasm/${cid}`)).status).toBe(404)
  })

  it('refuses modules over the size limit with 413', async () => {
    const big = new Uint8Array(11 * 1024 * 1024)
    big.set([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
    const res = await server.fetch('/api/wasm', {
      method: 'POST',
      headers: { 'content-type': 'application/wasm' },
      body: big,
    })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ code: 'WASM_TOO_LARGE' })
  })

  it('refuses bytes that are not WebAssembly', async () => {
    const res = await server.fetch('/api/wasm', {
      method: 'POST',
      body: new Uint8Array([1, 2, 3]),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 'INVALID_WASM' })
  })

  it('keeps wasm fields out of other jobs and code out of wasm jobs', async () => {
    expect(
      await client.post('/api/jobs', { job_type: 'js', code: '1', args: ['x'] }),
    ).toMatchObject({ status: 400, body: { field: 'args' } })
    expect(
      await client.post('/api/jobs', {
        job_type: 'wasm',
        code: 'x',
        wasm_cid: `b${'a'.repeat(58)}`,
      }),
    ).toMatchObject({ status: 400, body: { field: 'code' } })
  })
})

describe('volunteers', () => {
  it('lists each volunteer with the runtimes it offers', async () => {
    const { body } = await client.get('/api/volunteers')
    expect(body.total).toBe(2)
    for (const v of body.volunteers)
      expect(v).toMatchObject({
        runtimes: ['js', 'lua', 'python', 'wasm'],
        concurrency: 1,
        agent: { kind: 'internal' },
      })
  })
})
