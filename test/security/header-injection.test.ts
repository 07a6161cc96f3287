/**
 * Security: header injection through function responses, against the real CLI with auth on and one
 * honest internal worker; what leaves the HTTP server is read byte for byte. Functions stay public.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, expectNoInternals, liveProcess, type LiveTarget } from '../helpers/attack-target'
import { rawRequest } from '../helpers/raw-http'

let t: LiveTarget

beforeAll(async () => {
  t = await liveProcess()
})

afterAll(async () => {
  await t?.stop()
})

describe('function responses', () => {
  it('serves functions to callers without a token', async () => {
    const deployed = await t.root.post('/api/deploy/pub/hello', {
      runtime: 'js',
      code: 'function handle(req) { return {body: "hello " + req.method} }',
    })
    expect(deployed.status, deployed.text).toBe(201)
    const res = await call(t.url, 'POST', '/pub/hello', { body: 'x' })
    expect(res.status, res.text).toBe(200)
    expect(res.text).toBe('hello POST')
  })

  it('turns CR, LF and other bad header bytes in a function response into a clean 502', async () => {
    const headers: [string, string, string][] = [
      ['js', 'X-A', 'a\r\nSet-Cookie: pwned=1'],
      ['js', 'X-A', 'a\nSet-Cookie: pwned=1'],
      ['js', 'X-A', 'a\rSet-Cookie: pwned=1'],
      ['js', 'X-A', 'a\r\n\r\n<script>pwned()</script>'],
      ['js', 'X-A\r\nSet-Cookie: pwned=1\r\nX-B', '1'],
      ['js', 'X A', '1'],
      ['js', 'X-A:', '1'],
      ['js', '', '1'],
      ['js', 'X-Ä', '1'],
      ['js', 'X-A', 'a\u0000b'],
      ['js', 'X-A', 'a\u0001b'],
      ['js', 'X-A', 'a\u007fb'],
      ['js', 'X-A', 'snow \u2603'],
      ['lua', 'X-A', 'a\r\nSet-Cookie: pwned=1'],
    ]
    for (const [index, [runtime, name, value]] of headers.entries()) {
      const table =
        runtime === 'js'
          ? `function handle() { return {status: 200, headers: {${JSON.stringify(name)}: ${JSON.stringify(value)}}, body: "ok"} }`
          : `function handle() return {status=200, headers={[${JSON.stringify(name)}]=${JSON.stringify(value)}}, body="ok"} end`
      const deployed = await t.root.post(`/api/deploy/inject/h${index}`, { runtime, code: table })
      expect(deployed.status, deployed.text).toBe(201)
      const res = await rawRequest(t.url, { target: `/inject/h${index}` })
      const label = `${runtime} ${JSON.stringify(name)}: ${JSON.stringify(value)} → ${res.status} ${res.head}`
      expect(res.status, label).toBe(502)
      expect(JSON.parse(res.body).code, label).toBe('BAD_FUNCTION_RESPONSE')
      expect(res.headers['set-cookie'], label).toBeUndefined()
      expect(res.head, label).not.toMatch(/pwned/i)
      expectNoInternals(res, label, t.dataDir)
    }
    // A good header still goes through.
    await t.root.post('/api/deploy/inject/good', {
      runtime: 'js',
      code: 'function handle() { return {headers: {"X-Good": "yes; a=1"}, body: "ok"} }',
    })
    const good = await rawRequest(t.url, { target: '/inject/good' })
    expect(good.status).toBe(200)
    expect(good.headers['x-good']).toBe('yes; a=1')
  })
})
