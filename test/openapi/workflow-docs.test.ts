/**
 * The OpenAPI entries of `/api/workflows`, `/api/workflow-runs` and the seed's execution routes
 * against a real orchestrator with a real volunteer: runs that complete, fan out, fail, are
 * retried and cancelled, each answer checked against the entry of the route that gave it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { workflowRoutes } from '../../edge/core/routes/workflow-routes'
import { documentedCaller, mintToken } from '../helpers/route-docs'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let app: TestApp
let locked: TestApp
const call = documentedCaller(workflowRoutes)
const idOf = (res: { body: unknown }) => (res.body as { id: string }).id

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

const PIPELINE = {
  name: 'pipeline',
  namespace: 'docs',
  description: 'split, then square each',
  steps: [
    { id: 'split', run: { runtime: 'js', code: 'INPUT.list' } },
    {
      id: 'square',
      run: { runtime: 'js', code: 'INPUT.n * INPUT.n' },
      foreach: '${steps.split.result}',
      input: { n: '${item}' },
    },
  ],
}

describe('workflows as documented', () => {
  it('defines, versions, lists, runs, reads and deletes with the documented shapes', async () => {
    const created = await call(app, 'POST', '/api/workflows', PIPELINE)
    expect(created.status).toBe(201)
    const id = idOf(created)
    expect((await call(app, 'GET', `/api/workflows/${id}`)).status).toBe(200)
    const updated = await call(app, 'PUT', `/api/workflows/${id}`, PIPELINE)
    expect(updated).toMatchObject({ status: 200, body: { version: 2 } })
    const listed = await call(app, 'GET', '/api/workflows?namespace=docs&limit=10')
    expect(listed).toMatchObject({ status: 200, body: { total: 1 } })

    const started = await call(app, 'POST', `/api/workflows/${id}/runs`, {
      input: { list: [1, 2, 3] },
      id: 'once',
    })
    expect(started.status).toBe(202)
    const run = idOf(started)
    const again = await call(app, 'POST', `/api/workflows/${id}/runs`, { id: 'once' })
    expect(again).toMatchObject({ status: 200, body: { id: run } })
    const done = await call(app, 'GET', `/api/workflow-runs/${run}?wait=30`)
    expect(done).toMatchObject({ status: 200, body: { status: 'completed' } })
    expect((await call(app, 'GET', `/api/workflows/${id}/runs?offset=0`)).status).toBe(200)
    const seed = await call(app, 'POST', `/api/workflows/${id}/execute`)
    expect(seed.status).toBe(202)
    const execution = (seed.body as { execution_id: string }).execution_id
    expect((await call(app, 'GET', `/api/workflow-executions/${execution}/status`)).status).toBe(
      200,
    )
    await call(app, 'GET', `/api/workflow-runs/${execution}?wait=30`)
    expect((await call(app, 'DELETE', `/api/workflows/${id}`)).status).toBe(204)
  })

  it('cancels and retries runs as documented, and refuses what it cannot do with 409', async () => {
    const created = await call(app, 'POST', '/api/workflows', {
      name: 'forever',
      namespace: 'docs',
      steps: [{ id: 'spin', run: { runtime: 'js', code: 'for (;;) {}' }, timeout_seconds: 60 }],
    })
    const started = await call(app, 'POST', `/api/workflows/${idOf(created)}/runs`)
    const run = idOf(started)
    expect((await call(app, 'DELETE', `/api/workflow-runs/${run}`)).status).toBe(200)
    expect((await call(app, 'DELETE', `/api/workflow-runs/${run}`)).status).toBe(409)
    expect((await call(app, 'POST', `/api/workflow-runs/${run}/retry`)).status).toBe(202)
    expect((await call(app, 'POST', `/api/workflow-runs/${run}/retry`)).status).toBe(409)
    expect((await call(app, 'DELETE', `/api/workflow-runs/${run}`)).status).toBe(200)
  })

  it('gives the documented errors for bad input', async () => {
    const bad = { name: 'x', namespace: 'docs', steps: [{ id: 'a', run: {} }] }
    expect((await call(app, 'POST', '/api/workflows', bad)).status).toBe(400)
    const big = { ...PIPELINE, description: 'x'.repeat(2 << 20) }
    expect((await call(app, 'POST', '/api/workflows', big)).status).toBe(413)
    expect((await call(app, 'GET', '/api/workflows?limit=0')).status).toBe(400)
    expect((await call(app, 'GET', '/api/workflows/wf-nope')).status).toBe(404)
    expect((await call(app, 'PUT', '/api/workflows/wf-nope', PIPELINE)).status).toBe(404)
    expect((await call(app, 'DELETE', '/api/workflows/wf-nope')).status).toBe(404)
    expect((await call(app, 'POST', '/api/workflows/wf-nope/runs')).status).toBe(404)
    expect((await call(app, 'POST', '/api/workflows/wf-nope/execute')).status).toBe(404)
    expect((await call(app, 'GET', '/api/workflows/wf-nope/runs')).status).toBe(404)
    expect((await call(app, 'GET', '/api/workflow-runs/run-nope')).status).toBe(404)
    expect((await call(app, 'DELETE', '/api/workflow-runs/run-nope')).status).toBe(404)
    expect((await call(app, 'POST', '/api/workflow-runs/run-nope/retry')).status).toBe(404)
    expect((await call(app, 'GET', '/api/workflow-executions/run-nope/status')).status).toBe(404)
    expect((await call(app, 'GET', '/api/workflow-runs/run-nope?wait=x')).status).toBe(400)

    const created = await call(app, 'POST', '/api/workflows', { ...PIPELINE, name: 'bad-input' })
    const id = idOf(created)
    expect((await call(app, 'PUT', `/api/workflows/${id}`, bad)).status).toBe(400)
    const other = { ...PIPELINE, namespace: 'elsewhere' }
    expect((await call(app, 'PUT', `/api/workflows/${id}`, other)).status).toBe(400)
    expect((await call(app, 'POST', `/api/workflows/${id}/runs`, { nope: 1 })).status).toBe(400)
    expect((await call(app, 'POST', `/api/workflows/${id}/execute`, { id: '!' })).status).toBe(400)
    expect((await call(app, 'GET', `/api/workflows/${id}/runs?limit=x`)).status).toBe(400)
  })

  it('gives the documented 401 and 403 when auth is on', async () => {
    expect((await call(locked, 'GET', '/api/workflows?namespace=docs')).status).toBe(401)
    const other = await mintToken(locked.fetch, locked.adminToken!, ['other'], ['jobs'])
    expect((await call(locked, 'GET', '/api/workflows', undefined, other)).status).toBe(403)
    expect((await call(locked, 'POST', '/api/workflows', PIPELINE, other)).status).toBe(403)
    const admin = locked.adminToken!
    const created = await call(locked, 'POST', '/api/workflows', PIPELINE, admin)
    const id = idOf(created)
    expect((await call(locked, 'GET', `/api/workflows/${id}`, undefined, other)).status).toBe(403)
    const run = idOf(await call(locked, 'POST', `/api/workflows/${id}/runs`, {}, admin))
    expect((await call(locked, 'GET', `/api/workflow-runs/${run}`, undefined, other)).status).toBe(
      403,
    )
  })
})
