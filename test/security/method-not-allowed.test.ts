/**
 * Security: every route the API declares answers a method it does not take with a clean 405 and
 * an `Allow` that lists its own method, against the real CLI with auth on and no token sent;
 * function paths stay open to every method, and CORS preflights still reach the CORS policy.
 */
import { randomUUID } from 'node:crypto'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mountApi } from '../../edge/core/routes/api-routes'
import { PathMethods } from '../../edge/core/routes/method-not-allowed'
import { call, expectCleanError } from '../helpers/attack-target'
import { removeDir, startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

const ORIGIN = 'https://console.example'
const admin = `zv_admin_${randomUUID()}`
let server: ZerverlessProcess

/** The routes every host declares, as a front that only forwards mounts them (no core needed). */
function declaredRoutes(): { method: string; path: string }[] {
  const front = new Hono()
  const host = {
    host: 'node',
    volunteerSocket: undefined,
    uploadSocket: undefined,
    assets: undefined,
  } as const
  mountApi(front, undefined, host, new PathMethods())
  // ALL: the functions' catch-all and the refusals of too-deep paths, which take every method.
  return front.routes.filter((r) => r.method !== 'ALL')
}

/** A path the route matches: each parameter and wildcard filled with a plain segment. */
const concrete = (path: string) =>
  path.replace(/:[A-Za-z]+(\{[^}]*\})?/g, 'x1').replace(/\*/g, 'deep')

beforeAll(async () => {
  server = await startZerverless(
    ['--auth', 'on', '--workers', '0', '--cors-origin', ORIGIN],
    undefined,
    { ZERVERLESS_ADMIN_TOKEN: admin },
  )
})

afterAll(async () => {
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

describe('a method a known path does not take', () => {
  it('is a 405 with Allow on every declared route, for a caller without a token', async () => {
    const routes = declaredRoutes()
    expect(routes.length).toBeGreaterThan(60)
    for (const route of routes) {
      const path = concrete(route.path)
      const res = await call(server.url, 'PATCH', path, { body: { anything: true } })
      expect(res.status, `PATCH ${path}`).toBe(405)
      expectCleanError(res, `PATCH ${path}`, server.dataDir)
      expect(res.body, path).toMatchObject({ code: 'METHOD_NOT_ALLOWED' })
      const allow = res.headers.get('allow')?.split(', ') ?? []
      expect(allow, `PATCH ${path}`).toContain(route.method)
      expect(allow).toContain('OPTIONS')
      // What Allow lists is never itself answered with a 405 (401 without a token, at most).
      const own = await call(server.url, route.method, path)
      expect(own.status, `${route.method} ${path}`).not.toBe(405)
    }
  })

  it('stays a 404 on a path no route knows, and leaves function paths to the function', async () => {
    // Without a token a write under /api/ is a 401 before any route is looked for, as before.
    expect((await call(server.url, 'PATCH', '/api/not-a-route')).status).toBe(401)
    const unknown = await call(server.url, 'PATCH', '/api/not-a-route', { token: admin })
    expect(unknown.status).toBe(404)
    expect(unknown.body).toMatchObject({ code: 'NOT_FOUND' })
    expect((await call(server.url, 'PATCH', '/volunteers-are-not-here/x/y')).status).toBe(404)
    const deployed = await call(server.url, 'POST', '/api/deploy/methods/any', {
      token: admin,
      body: {
        runtime: 'js',
        code: 'function handle(req) { return {status: 404, body: req.method} }',
      },
    })
    expect(deployed.status, deployed.text).toBe(201)
    // No worker runs it here: the function's own path answers 503 (no capacity), never 405.
    const invoked = await call(server.url, 'PATCH', '/methods/any')
    expect(invoked.status, invoked.text).not.toBe(405)
    expect(invoked.body).toMatchObject({ code: expect.not.stringMatching(/METHOD_NOT_ALLOWED/) })
  })

  it('answers a CORS preflight by the CORS policy, and a plain OPTIONS with 204 and Allow', async () => {
    const preflight = await call(server.url, 'OPTIONS', '/api/jobs', {
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN)
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST')
    const plain = await call(server.url, 'OPTIONS', '/api/jobs/some-id')
    expect(plain.status).toBe(204)
    expect(plain.headers.get('allow')).toBe('GET, HEAD, DELETE, OPTIONS')
  })
})
