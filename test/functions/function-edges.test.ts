/**
 * Functions' edges: a deploy refuses code that does not compile or names no `handle` (with the
 * guest's message and line), a failing function speaks of a function, and every call lands in the
 * function's invocation log; in process, with a volunteer on sandbox threads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let server: TestApp
let client: ApiClient

beforeAll(async () => {
  server = await createTestApp({ volunteers: 1 })
  client = server.api
  await idleVolunteers(server, 1)
})

afterAll(async () => {
  await server.close()
})

const deployed = async (target: string, body: Record<string, unknown>) => {
  const res = await client.post(`/api/deploy/${target}`, body)
  if (res.status !== 201)
    throw new Error(`deploy failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}
const call = (path: string) => server.fetch(path)
const logsOf = async (target: string, query = '') =>
  (await client.get(`/api/deploy/${target}/logs${query}`)).body

describe('deploy checks the code before storing it', () => {
  it('refuses JavaScript that does not compile, with the parser message and line', async () => {
    const res = await client.post('/api/deploy/chk/js', {
      runtime: 'js',
      code: 'function handle(req) {\n  return {body: "ok"}\n}\nconst x = (1 +;\n',
    })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({
      code: 'INVALID_FUNCTION',
      field: 'code',
      line: 4,
      details: { code: 'SYNTAX_ERROR', line: 4 },
    })
    expect(res.body.error).toMatch(/^SyntaxError: .* \(line 4\)$/)
  })

  it('refuses Lua that does not compile, with the parser message and line', async () => {
    const res = await client.post('/api/deploy/chk/lua', {
      runtime: 'lua',
      code: 'function handle(req)\n  return {body="ok"}\nend\nlocal x = = 2\n',
    })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({
      code: 'INVALID_FUNCTION',
      line: 4,
      details: { code: 'SYNTAX_ERROR', line: 4 },
    })
    expect(res.body.error).toContain("unexpected symbol near '='")
  })

  it('refuses js and lua code that defines no handle', async () => {
    for (const [runtime, code] of [
      ['js', 'function handler(req) { return {body: "typo"} }'],
      ['lua', 'function main(req) return {body="x"} end'],
    ]) {
      const res = await client.post('/api/deploy/chk/nohandle', { runtime, code })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({
        code: 'INVALID_FUNCTION',
        details: { code: 'NO_HANDLER' },
        error: expect.stringContaining('handle(req)'),
      })
    }
  })

  it('stores nothing when it refuses: the function stays at its last good version', async () => {
    await deployed('chk/keep', { runtime: 'js', code: 'function handle() { return {body: "v1"} }' })
    const bad = await client.post('/api/deploy/chk/keep', {
      runtime: 'js',
      code: 'function handle( {',
    })
    expect(bad.status).toBe(400)
    const shown = (await client.get('/api/deploy/chk/keep')).body
    expect(shown).toMatchObject({ version: 1 })
    expect(await (await call('/chk/keep')).text()).toBe('v1')
    // Never deployed at all: nothing there either.
    expect((await client.get('/api/deploy/chk/js')).status).toBe(404)
  })

  it('does not run the code it checks', async () => {
    // A top level that would never end if it ran; the deploy answers at once.
    const res = await client.post('/api/deploy/chk/spin', {
      runtime: 'js',
      code: 'while (true) {}\nfunction handle() { return {body: "x"} }',
    })
    expect(res.status).toBe(201)
    const lua = await client.post('/api/deploy/chk/spinlua', {
      runtime: 'lua',
      code: 'while true do end\nfunction handle() return {body="x"} end',
    })
    expect(lua.status).toBe(201)
  })

  it("refuses Python that does not compile, with CPython's message and line", async () => {
    // Python may leave its response in a top-level `result` instead of defining handle.
    await deployed('chk/py', {
      runtime: 'python',
      code: 'result = {"status": 200, "body": "computed"}',
    })
    expect(await (await call('/chk/py')).text()).toBe('computed')
    const bad = await client.post('/api/deploy/chk/pybad', {
      runtime: 'python',
      code: 'def handle(req):\n    return {"body": "hi"\n\nx = 1\n',
    })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({
      code: 'INVALID_FUNCTION',
      field: 'code',
      line: 2,
      details: { code: 'SYNTAX_ERROR', message: expect.stringMatching(/^SyntaxError: /) },
    })
    // Nothing was stored: the path has no function.
    expect((await client.get('/api/deploy/chk/pybad')).status).toBe(404)
  })
})

describe('a failing function speaks of a function', () => {
  it('answers 502 FUNCTION_ERROR with the guest error as details', async () => {
    await deployed('fnerr/throws', {
      runtime: 'lua',
      code: 'function handle(req)\n  return {body = nil .. "!"}\nend',
    })
    const res = await call('/fnerr/throws')
    expect(res.status).toBe(502)
    const body = await res.json()
    expect(body).toMatchObject({
      code: 'FUNCTION_ERROR',
      details: { code: 'GUEST_ERROR', line: 2 },
    })
    expect(body.error).toContain('attempt to concatenate')
  })

  it('says the function (not a job) exceeded its timeout', async () => {
    await deployed('fnerr/slow', {
      runtime: 'js',
      code: 'function handle() { while (true) {} }',
      timeout_seconds: 1,
    })
    const res = await call('/fnerr/slow')
    expect(res.status).toBe(504)
    const body = await res.json()
    expect(body.code).toBe('FUNCTION_TIMEOUT')
    expect(body.error).toMatch(/function/)
    expect(body.error).not.toMatch(/\bjob\b/)
    expect(body.details.message).not.toMatch(/\bjob\b/)
  })

  it("keeps the guest's own words when it throws them", async () => {
    await deployed('fnerr/own', {
      runtime: 'js',
      code: 'function handle() { throw new Error("the job queue is empty") }',
    })
    const body = await (await call('/fnerr/own')).json()
    expect(body).toMatchObject({ code: 'FUNCTION_ERROR', error: 'Error: the job queue is empty' })
  })
})

describe('the invocation log', () => {
  it('records every call, newest first, with status, duration, version and error', async () => {
    await deployed('ilog/f', {
      runtime: 'js',
      code: 'function handle(req) {\n  if (req.query.fail) throw new Error("asked to fail")\n  return {status: Number(req.query.s || 200), body: "ok"}\n}',
    })
    await call('/ilog/f?s=200')
    await call('/ilog/f?s=404')
    await call('/ilog/f?fail=1')
    const { invocations } = await logsOf('ilog/f')
    expect(invocations).toHaveLength(3)
    expect(invocations.map((i: { status: number }) => i.status)).toEqual([502, 404, 200])
    const [failed, notFound, ok] = invocations
    expect(failed).toMatchObject({
      version: 1,
      error: { code: 'FUNCTION_ERROR', message: 'Error: asked to fail', line: 2 },
    })
    expect(notFound.error).toBeUndefined()
    expect(ok.error).toBeUndefined()
    for (const record of invocations) {
      expect(Number.isInteger(record.duration_ms) && record.duration_ms >= 0).toBe(true)
      expect(Number.isNaN(Date.parse(record.time))).toBe(false)
    }
    expect(Date.parse(failed.time)).toBeGreaterThanOrEqual(Date.parse(ok.time))
  })

  it('records a malformed response and a timeout too, and names the version that answered', async () => {
    await deployed('ilog/g', { runtime: 'lua', code: 'function handle() return "nope" end' })
    await call('/ilog/g')
    await deployed('ilog/g', { runtime: 'lua', code: 'function handle() return {body="v2"} end' })
    await call('/ilog/g')
    const { invocations } = await logsOf('ilog/g')
    expect(invocations).toMatchObject([
      { status: 200, version: 2 },
      { status: 502, version: 1, error: { code: 'BAD_FUNCTION_RESPONSE' } },
    ])
  })

  it('reads a bounded number of calls, and refuses a bad count naming it', async () => {
    await deployed('ilog/h', { runtime: 'lua', code: 'function handle() return {body="x"} end' })
    for (let i = 0; i < 4; i++) await call('/ilog/h')
    expect((await logsOf('ilog/h', '?invocations=2')).invocations).toHaveLength(2)
    const bad = await client.get('/api/deploy/ilog/h/logs?invocations=0')
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'invocations' })
  })

  it('forgets the calls of a deleted function', async () => {
    await deployed('ilog/gone', { runtime: 'lua', code: 'function handle() return {body="x"} end' })
    await call('/ilog/gone')
    expect((await logsOf('ilog/gone')).invocations).toHaveLength(1)
    expect((await client.delete('/api/deploy/ilog/gone')).status).toBe(204)
    await deployed('ilog/gone', { runtime: 'lua', code: 'function handle() return {body="x"} end' })
    expect((await logsOf('ilog/gone')).invocations).toEqual([])
  })
})
