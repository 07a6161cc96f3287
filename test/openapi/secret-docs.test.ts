/**
 * The OpenAPI entries of `/api/secrets` against a real orchestrator (real SQLite, a real secrets
 * key on disk): every answer's status is one its entry lists and its body parses with the schema
 * listed for that status, for the happy paths and for the bad input each entry names.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { secretRoutes } from '../../edge/core/routes/secret-routes'
import { documentedCaller, mintToken } from '../helpers/route-docs'
import { createTestApp, type TestApp } from '../helpers/test-app'

let app: TestApp
let locked: TestApp
let noKey: TestApp
const call = documentedCaller(secretRoutes)

beforeAll(async () => {
  ;[app, locked, noKey] = await Promise.all([
    createTestApp({ volunteers: 0 }),
    createTestApp({ volunteers: 0, auth: {} }),
    createTestApp({ volunteers: 0, files: false }),
  ])
})

afterAll(async () => {
  await Promise.all([app?.close(), locked?.close(), noKey?.close()])
})

describe('secrets as documented', () => {
  it('answers a write, a replace, a read, a listing and a delete with the documented shapes', async () => {
    const created = await call(app, 'PUT', '/api/secrets/docs/API_KEY', { value: 's3cret' })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ namespace: 'docs', name: 'API_KEY' })
    expect((await call(app, 'PUT', '/api/secrets/docs/API_KEY', { value: 'two' })).status).toBe(200)
    expect((await call(app, 'GET', '/api/secrets/docs/API_KEY')).status).toBe(200)
    const listed = await call(app, 'GET', '/api/secrets/docs')
    expect(listed).toMatchObject({ status: 200, body: { count: 1 } })
    expect((await call(app, 'DELETE', '/api/secrets/docs/API_KEY')).status).toBe(204)
  })

  it('gives the documented errors for bad input', async () => {
    expect((await call(app, 'GET', '/api/secrets/docs/NOPE')).status).toBe(404)
    expect((await call(app, 'DELETE', '/api/secrets/docs/NOPE')).status).toBe(404)
    expect((await call(app, 'GET', '/api/secrets/docs/1bad')).status).toBe(400)
    expect((await call(app, 'GET', '/api/secrets/-bad')).status).toBe(400)
    expect((await call(app, 'PUT', '/api/secrets/docs/KEY', { value: 3 })).status).toBe(400)
    const big = 'x'.repeat(app.config.maxBodyBytes + 1)
    expect((await call(app, 'PUT', '/api/secrets/docs/KEY', { value: big })).status).toBe(413)
  })

  it('gives the documented 401 and 403 when auth is on', async () => {
    expect((await call(locked, 'GET', '/api/secrets/docs')).status).toBe(401)
    const other = await mintToken(locked.fetch, locked.adminToken!, ['other'], ['secrets'])
    expect((await call(locked, 'GET', '/api/secrets/docs', undefined, other)).status).toBe(403)
    expect((await call(locked, 'PUT', '/api/secrets/docs/K', { value: 'v' }, other)).status).toBe(
      403,
    )
  })

  it('gives the documented 503 on a host without a secrets key', async () => {
    expect((await call(noKey, 'GET', '/api/secrets/docs')).status).toBe(503)
    expect((await call(noKey, 'PUT', '/api/secrets/docs/K', { value: 'v' })).status).toBe(503)
  })
})
