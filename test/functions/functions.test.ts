/**
 * Deployed functions, as the seed README deploys and calls them, and every way they can fail; in
 * process, with two volunteers on sandbox threads.
 */
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

const deploy = async (target: string, body: Record<string, unknown>) => {
  const res = await client.post(`/api/deploy/${target}`, body)
  if (res.status !== 201)
    throw new Error(`deploy failed: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body
}
const call = (path: string, init?: RequestInit) => server.fetch(path, init)

describe('the seed README functions', () => {
  it('alice/hello in Lua answers "Hello, World!"', async () => {
    await deploy('alice/hello', {
      runtime: 'lua',
      code: 'function handle(req) return {status=200, body="Hello, " .. req.query.name .. "!"} end',
    })
    const res = await call('/alice/hello?name=World')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('Hello, World!')
  })

  it('bob/api/greet in JavaScript answers {"message":"Hello Alice"}', async () => {
    await deploy('bob/api/greet', {
      runtime: 'js',
      code: 'function handle(req) { return {status: 200, headers: {"Content-Type": "application/json"}, body: JSON.stringify({message: "Hello " + req.query.name})} }',
    })
    const res = await call('/bob/api/greet?name=Alice')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.text()).toBe('{"message":"Hello Alice"}')
  })

  it('charlie/python-hello in Python answers "Hello from Python, …!"', async () => {
    await deploy('charlie/python-hello', {
      runtime: 'python',
      code: 'import json\ndef handle(req):\n    name = req.get("query", {}).get("name", "World")\n    return {"status": 200, "headers": {"Content-Type": "text/plain"}, "body": f"Hello from Python, {name}!"}\nresult = handle(INPUT)\nprint(json.dumps(result))',
    })
    expect(await (await call('/charlie/python-hello')).text()).toBe('Hello from Python, World!')
    expect(await (await call('/charlie/python-hello?name=Zoe')).text()).toBe(
      'Hello from Python, Zoe!',
    )
  }, 60_000)
})

describe('requests and responses', () => {
  it('gives handle(req) the method, the request path, the query, the headers and the body', async () => {
    await deploy('echo/req', { runtime: 'js', code: 'function handle(req) { return {body: req} }' })
    const res = await call('/echo/req/deeper/still?a=1&a=2&b=x', {
      method: 'PUT',
      headers: { 'x-thing': 'yes' },
      body: 'payload',
    })
    const req = await res.json()
    expect(req).toMatchObject({
      method: 'PUT',
      path: '/echo/req/deeper/still',
      query: { a: '1', b: 'x' },
      body: 'payload',
    })
    expect(req.headers['x-thing']).toBe('yes')
  })

  it('routes to the exact path first, then the longest deployed prefix', async () => {
    await deploy('route/a', { runtime: 'lua', code: 'function handle() return {body="a"} end' })
    await deploy('route/a/b', { runtime: 'lua', code: 'function handle() return {body="a/b"} end' })
    expect(await (await call('/route/a')).text()).toBe('a')
    expect(await (await call('/route/a/b')).text()).toBe('a/b')
    expect(await (await call('/route/a/b/c/d')).text()).toBe('a/b')
    expect(await (await call('/route/a/x')).text()).toBe('a')
    expect((await call('/route/ab')).status).toBe(404)
  })

  it('honours status and headers, and sends table/object bodies as JSON', async () => {
    await deploy('shape/created', {
      runtime: 'lua',
      code: 'function handle() return {status=201, headers={["X-Custom"]="yes"}, body={ok=true, list={1,2}}} end',
    })
    const res = await call('/shape/created')
    expect(res.status).toBe(201)
    expect(res.headers.get('x-custom')).toBe('yes')
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(await res.json()).toEqual({ ok: true, list: [1, 2] })
  })

  it('runs a WebAssembly function', async () => {
    await deploy('wasm/hi', {
      runtime: 'wasm',
      wasm_base64: toBase64(await wasmFixture('respond')),
    })
    const res = await call('/wasm/hi')
    expect(res.status).toBe(201)
    expect(res.headers.get('x-from')).toBe('wasm')
    expect(await res.text()).toBe('hello from wasm')
  })

  // Functions keep module-level state between calls of one version since issue 16, as Workers do
  // (test/functions/warm-*.test.ts); a shared module a Python call writes to is still put back to
  // what the version's top level left in it before the next call.
  it("starts every Python request from its version's top-level view of shared modules", async () => {
    await deploy('clean/py', {
      runtime: 'python',
      code: 'import json\njson.counter = getattr(json, "counter", 0) + 1\ndef handle(req):\n    return {"body": json.counter}',
    })
    for (const path of ['/clean/py']) {
      for (let i = 0; i < 3; i++) expect(await (await call(path)).json(), path).toBe(1)
    }
  }, 60_000)
})

describe('the database from inside functions', () => {
  it('reaches its own namespace from JavaScript, Lua and Python', async () => {
    await deploy('dbuser/js', {
      runtime: 'js',
      code: 'function handle(req) { db.set("from-js", {n: 1}); return {body: db.get("from-js")} }',
    })
    await deploy('dbuser/lua', {
      runtime: 'lua',
      code: 'function handle() db.set("from-lua", 2) return {body={value=db.get("from-lua"), keys=db.list("from-").keys}} end',
    })
    await deploy('dbuser/py', {
      runtime: 'python',
      code: 'def handle(req):\n    db.set("from-py", [3])\n    gone = db.delete("from-js")\n    return {"body": {"value": db.get("from-py"), "deleted": gone}}',
    })
    expect(await (await call('/dbuser/js')).json()).toEqual({ n: 1 })
    expect(await (await call('/dbuser/lua')).json()).toEqual({
      value: 2,
      keys: ['from-js', 'from-lua'],
    })
    expect(await (await call('/dbuser/py')).json()).toEqual({ value: [3], deleted: true })
    expect((await client.get('/api/db/dbuser/from-py')).body.value).toEqual([3])
  }, 60_000)

  it('cannot reach another namespace', async () => {
    await server.fetch('/api/db/victim/secret', {
      method: 'PUT',
      body: JSON.stringify({ value: 'hidden' }),
    })
    await deploy('intruder/peek', {
      runtime: 'js',
      code: 'function handle() { return {body: {secret: db.get("secret"), keys: db.list()}} }',
    })
    expect(await (await call('/intruder/peek')).json()).toEqual({
      secret: null,
      keys: { keys: [], cursor: null },
    })
    expect((await client.get('/api/db/victim/secret')).body.value).toBe('hidden')
  })

  it('gives jobs their namespace database too', async () => {
    const job = await client.run({
      job_type: 'lua',
      namespace: 'jobdb',
      code: 'db.set("k", "v") return db.get("k")',
    })
    expect(job).toMatchObject({ status: 'completed', result: 'v' })
  })
})

describe('versions, listing, logs', () => {
  it('keeps versions, rolls back, and keeps the last 20', async () => {
    for (let v = 1; v <= 22; v++)
      await deploy('ver/f', { runtime: 'lua', code: `function handle() return {body="v${v}"} end` })
    expect(await (await call('/ver/f')).text()).toBe('v22')
    const shown = (await client.get('/api/deploy/ver/f')).body
    expect(shown).toMatchObject({ version: 22, runtime: 'lua' })
    expect(shown.versions).toHaveLength(20)
    expect((await client.post('/api/deploy/ver/f/rollback', {})).body).toMatchObject({
      version: 21,
    })
    expect(await (await call('/ver/f')).text()).toBe('v21')
    await client.post('/api/deploy/ver/f/rollback', {})
    expect(await (await call('/ver/f')).text()).toBe('v20')
  })

  it('refuses a rollback with nothing before it', async () => {
    await deploy('ver/once', { runtime: 'lua', code: 'function handle() return {body="1"} end' })
    expect(await client.post('/api/deploy/ver/once/rollback', {})).toMatchObject({
      status: 409,
      body: { code: 'NO_PREVIOUS_VERSION' },
    })
  })

  it("lists all deployments or one user's, and deletes", async () => {
    await deploy('lister/one', { runtime: 'js', code: 'function handle() { return {body: 1} }' })
    const mine = (await client.get('/api/deploy?user=lister')).body
    expect(mine).toMatchObject({
      total: 1,
      deployments: [{ user: 'lister', path: '/one', url: '/lister/one' }],
    })
    expect((await client.get('/api/deploy')).body.total).toBeGreaterThan(5)
    expect((await client.delete('/api/deploy/lister/one')).status).toBe(204)
    expect((await call('/lister/one')).status).toBe(404)
    expect((await client.delete('/api/deploy/lister/one')).status).toBe(404)
  })

  it('keeps what invocations printed as logs', async () => {
    await deploy('logs/f', {
      runtime: 'js',
      code: 'function handle(req) { console.log("called with", req.query.n); return {body: "ok"} }',
    })
    await call('/logs/f?n=1')
    await call('/logs/f?n=2')
    const { body } = await client.get('/api/deploy/logs/f/logs?lines=10')
    expect(body.lines.map((l: { line: string }) => l.line)).toEqual([
      'called with 1',
      'called with 2',
    ])
  })
})

describe('errors', () => {
  it('404 when nothing is deployed', async () => {
    const res = await call('/nobody/nothing')
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ code: 'FUNCTION_NOT_FOUND' })
  })

  it('502 with the guest error when the handler throws', async () => {
    await deploy('err/throws', {
      runtime: 'js',
      code: 'function handle() {\n  throw new Error("kaboom")\n}',
    })
    const res = await call('/err/throws')
    expect(res.status).toBe(502)
    expect(await res.json()).toMatchObject({
      code: 'FUNCTION_ERROR',
      error: 'Error: kaboom',
      details: { line: 2 },
    })
  })

  it('502 explaining what is wrong with a malformed response', async () => {
    const cases: [string, string][] = [
      ['return "just a string"', 'it returned a string'],
      ['return {status="ok"}', 'status must be a whole number'],
      ['return {status=200, colour="red"}', "unknown field 'colour'"],
      ['return {headers={["X"]={1}}}', "header 'X' must be a string"],
    ]
    for (const [body, problem] of cases) {
      await deploy('err/shape', { runtime: 'lua', code: `function handle() ${body} end` })
      const res = await call('/err/shape')
      expect(res.status).toBe(502)
      const json = await res.json()
      expect(json.code).toBe('BAD_FUNCTION_RESPONSE')
      expect(json.error).toContain(problem)
    }
  })

  it('502 when the code defines no global handler', async () => {
    // Names handle (so the deploy's check passes it) but keeps it local: only a call can tell.
    await deploy('err/nohandler', {
      runtime: 'lua',
      code: 'local function handle() return {body="x"} end',
    })
    expect(await (await call('/err/nohandler')).json()).toMatchObject({
      code: 'FUNCTION_ERROR',
      error: expect.stringContaining('handle(req)'),
    })
  })

  it('504 at its deadline', async () => {
    await deploy('err/slow', {
      runtime: 'js',
      code: 'function handle() { while (true) {} }',
      timeout_seconds: 1,
    })
    const res = await call('/err/slow')
    expect(res.status).toBe(504)
    expect(await res.json()).toMatchObject({ code: 'FUNCTION_TIMEOUT' })
  })

  it('refuses bad deployments naming the field', async () => {
    expect(await client.post('/api/deploy/x/f', { code: 'x' })).toMatchObject({
      status: 400,
      body: { field: 'runtime' },
    })
    expect(await client.post('/api/deploy/x/f', { runtime: 'cobol', code: 'x' })).toMatchObject({
      status: 400,
      body: { field: 'runtime' },
    })
    expect(await client.post('/api/deploy/x/f', { runtime: 'lua' })).toMatchObject({
      status: 400,
      body: { field: 'code' },
    })
    expect(await client.post('/api/deploy/api/f', { runtime: 'lua', code: 'x' })).toMatchObject({
      status: 400,
      body: { field: 'user' },
    })
    expect(await client.post('/api/deploy/x/f/logs', { runtime: 'lua', code: 'x' })).toMatchObject({
      status: 400,
      body: { field: 'path' },
    })
    expect(
      await client.post('/api/deploy/x/a%2F..%2Fb', { runtime: 'lua', code: 'x' }),
    ).toMatchObject({ status: 400 })
  })
})

describe('without workers', () => {
  it('503 with Retry-After when no worker can run the function', async () => {
    const bare = await createTestApp({ volunteers: 0 })
    try {
      await bare.api.post('/api/deploy/lonely/f', {
        runtime: 'lua',
        code: 'function handle() return {body="x"} end',
      })
      const res = await bare.fetch('/lonely/f')
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
      expect(await res.json()).toMatchObject({ code: 'NO_WORKER' })
    } finally {
      await bare.close()
    }
  })
})
