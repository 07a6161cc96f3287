/**
 * The OpenAPI entries of `/api/cron` against a real orchestrator with a real volunteer: triggers
 * of each target kind fire, and every answer (the trigger, its runs, the listing, the errors for
 * bad input and for a caller without rights) matches the entry of the route that gave it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cronRoutes } from '../../edge/core/routes/cron-routes'
import { eventually } from '../helpers/eventually'
import { documentedCaller, mintToken } from '../helpers/route-docs'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let app: TestApp
let locked: TestApp
const call = documentedCaller(cronRoutes)

beforeAll(async () => {
  ;[app, locked] = await Promise.all([
    createTestApp({ volunteers: 1 }),
    createTestApp({ volunteers: 0, auth: {} }),
  ])
  await idleVolunteers(app, 1)
}, 60_000)

afterAll(async () => {
  await Promise.all([app?.close(), locked?.close()])
})

type Runs = { runs: { status: string }[] }

/** Reads the trigger (checked against its entry) until one of its runs completed. */
const completedRun = (name: string) =>
  eventually(
    async () => {
      const res = await call(app, 'GET', `/api/cron/docs/${name}`)
      expect(res.status).toBe(200)
      return (res.body as Runs).runs.some((r) => r.status === 'completed') ? res.body : undefined
    },
    20_000,
    `a completed run of ${name}`,
  )

describe('cron triggers as documented', () => {
  it('creates, replaces, fires, lists and deletes with the documented shapes', async () => {
    const deployed = await app.api.post('/api/deploy/docs/ping', {
      runtime: 'js',
      code: 'function handle(req) { return { status: 202, body: "ok" } }',
    })
    expect(deployed.status).toBe(201)
    const job = { schedule: '* * * * * *', target: { job: { job_type: 'lua', code: 'return 1' } } }
    expect((await call(app, 'PUT', '/api/cron/docs/answer', job)).status).toBe(201)
    const fn = { schedule: '* * * * * *', target: { function: '/docs/ping' } }
    expect((await call(app, 'PUT', '/api/cron/docs/ping', fn)).status).toBe(201)
    const flow = await app.api.post('/api/workflows', {
      name: 'one',
      namespace: 'docs',
      steps: [{ id: 'a', run: { runtime: 'js', code: '1 + 1' } }],
    })
    expect(flow.status).toBe(201)
    const wf = { schedule: '* * * * * *', missed: 'skip', target: { workflow: 'one', input: {} } }
    expect((await call(app, 'PUT', '/api/cron/docs/flow', wf)).status).toBe(201)

    await Promise.all(['answer', 'ping', 'flow'].map((name) => completedRun(name)))
    const listed = await call(app, 'GET', '/api/cron/docs')
    expect(listed).toMatchObject({ status: 200, body: { total: 3 } })
    expect(
      (await call(app, 'PUT', '/api/cron/docs/answer', { ...job, missed: 'skip' })).status,
    ).toBe(200)
    for (const name of ['answer', 'ping', 'flow'])
      expect((await call(app, 'DELETE', `/api/cron/docs/${name}`)).status).toBe(204)
  })

  it('gives the documented errors for bad input', async () => {
    expect((await call(app, 'GET', '/api/cron/docs/nope')).status).toBe(404)
    expect((await call(app, 'DELETE', '/api/cron/docs/nope')).status).toBe(404)
    expect((await call(app, 'GET', '/api/cron/-bad')).status).toBe(400)
    expect((await call(app, 'GET', `/api/cron/docs/${'n'.repeat(33)}`)).status).toBe(400)
    const bad = { schedule: 'every day', target: { function: '/docs/ping' } }
    expect((await call(app, 'PUT', '/api/cron/docs/x', bad)).status).toBe(400)
    expect((await call(app, 'PUT', '/api/cron/docs/x', { schedule: '* * * * *' })).status).toBe(400)
    const big = { schedule: '* * * * *', target: { workflow: 'x', input: 'y'.repeat(2 << 20) } }
    expect((await call(app, 'PUT', '/api/cron/docs/x', big)).status).toBe(413)
  })

  it('gives the documented 401 and 403 when auth is on', async () => {
    expect((await call(locked, 'GET', '/api/cron/docs')).status).toBe(401)
    const other = await mintToken(locked.fetch, locked.adminToken!, ['other'], ['jobs'])
    expect((await call(locked, 'GET', '/api/cron/docs/x', undefined, other)).status).toBe(403)
    expect((await call(locked, 'DELETE', '/api/cron/docs/x', undefined, other)).status).toBe(403)
  })
})
