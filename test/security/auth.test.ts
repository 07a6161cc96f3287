/**
 * Auth as an operator and a developer meet it, against the core in process: namespace tokens issued,
 * used, listed and revoked, the volunteer token, and the upload socket. The attacks (forged,
 * expired, alg:none, traversal, floods) are in the other security suites; the admin token the CLI
 * makes is in cli/admin-token.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setUpAuth } from '../../edge/node/auth-setup'
import { PROTOCOL_VERSION } from '../../shared/protocol/frames'
import { fetcherOf, type Fetcher } from '../helpers/api'
import { removeDir, tempDir } from '../helpers/temp-dir'
import { createTestApp, type TestApp } from '../helpers/test-app'
import { auth as authMessage } from '../helpers/upload-client'

const ADMIN = 'zv-test-admin-token-0123456789'

/** A JSON client that sends `token` as a Bearer header. */
function as(target: string | Fetcher, token?: string) {
  const send = fetcherOf(target)
  const call = async (method: string, route: string, body?: unknown) => {
    const res = await send(route, {
      method,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
  }
  return {
    get: (route: string) => call('GET', route),
    post: (route: string, body: unknown) => call('POST', route, body),
    put: (route: string, body: unknown) => call('PUT', route, body),
    delete: (route: string) => call('DELETE', route),
  }
}

describe('an orchestrator with auth on', () => {
  let server: TestApp
  let admin: ReturnType<typeof as>

  beforeAll(async () => {
    server = await createTestApp({ auth: { adminToken: ADMIN }, volunteers: 1 })
    admin = as(server.fetch, ADMIN)
  })

  afterAll(async () => {
    await server.close()
  })

  it('asks for a token on private routes and keeps public ones open', async () => {
    const anonymous = as(server.fetch)
    const refused = await anonymous.post('/api/jobs', { job_type: 'js', code: '1' })
    expect(refused).toMatchObject({ status: 401, body: { code: 'AUTH_REQUIRED' } })
    expect(refused.headers.get('www-authenticate')).toBe('Bearer')
    expect((await anonymous.get('/api/db/alice/k')).status).toBe(401)
    expect((await anonymous.get('/health')).status).toBe(200)
    expect((await anonymous.get('/stats')).status).toBe(200)
  })

  it('lets the admin issue a namespace token that works there and nowhere else', async () => {
    const issued = await admin.post('/api/tokens', {
      name: 'alice ci',
      namespaces: ['alice'],
      rights: ['jobs', 'db'],
    })
    expect(issued).toMatchObject({
      status: 201,
      body: { name: 'alice ci', namespaces: ['alice'], rights: ['jobs', 'db'], revoked: false },
    })
    const alice = as(server.fetch, issued.body.token)
    const job = await alice.post('/api/jobs', { job_type: 'js', code: '6 * 7', namespace: 'alice' })
    expect(job.status).toBe(201)
    const done = await alice.get(`/api/jobs/${job.body.id}?wait=20`)
    expect(done.body).toMatchObject({ status: 'completed', result: 42 })
    expect((await alice.put('/api/db/alice/k', { value: 1 })).status).toBe(200)
    expect((await alice.get('/api/db/alice/k')).body).toMatchObject({ value: 1 })

    expect(
      await alice.post('/api/jobs', { job_type: 'js', code: '1', namespace: 'bob' }),
    ).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN' },
    })
    expect((await alice.put('/api/db/bob/k', { value: 1 })).status).toBe(403)
    expect((await alice.get(`/api/jobs?namespace=bob`)).status).toBe(403)
    // No 'storage' right, even in its own namespace.
    expect((await alice.get('/api/storage/alice/')).status).toBe(403)
    // Nor the operator's routes.
    expect((await alice.get('/api/tokens')).status).toBe(403)
    expect((await admin.get('/api/db/bob/k')).status).toBe(404)
  })

  it('lists tokens without their secrets, and a revoked token stops working at once', async () => {
    const issued = await admin.post('/api/tokens', { namespaces: ['carol'], rights: ['db'] })
    const carol = as(server.fetch, issued.body.token)
    expect((await carol.put('/api/db/carol/k', { value: 1 })).status).toBe(200)
    const listed = await admin.get('/api/tokens')
    const entry = listed.body.tokens.find((t: { id: string }) => t.id === issued.body.id)
    expect(entry).toMatchObject({ namespaces: ['carol'], revoked: false })
    expect(JSON.stringify(listed.body)).not.toContain(issued.body.token)

    expect((await admin.delete(`/api/tokens/${issued.body.id}`)).status).toBe(204)
    expect(await carol.get('/api/db/carol/k')).toMatchObject({
      status: 401,
      body: { code: 'TOKEN_REVOKED' },
    })
    expect((await admin.delete('/api/tokens/no-such-token')).status).toBe(404)
  })

  it('refuses token requests that make no sense', async () => {
    for (const body of [
      { namespaces: [], rights: ['db'] },
      { namespaces: ['alice'], rights: ['root'] },
      { namespaces: ['../x'], rights: ['db'] },
      { namespaces: ['alice'], rights: ['db'], expires_in_seconds: -5 },
    ]) {
      const res = await admin.post('/api/tokens', body)
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.code).toBe('INVALID_REQUEST')
    }
  })

  it('takes uploads from tokens with the services right only', async () => {
    const services = await admin.post('/api/tokens', { namespaces: ['*'], rights: ['services'] })
    const db = await admin.post('/api/tokens', { namespaces: ['*'], rights: ['db'] })
    const socket = await server.uploadClient()
    try {
      const wrong = await socket.request(authMessage(db.body.token), 'FILE_UPLOAD_ERROR')
      expect(wrong.code).toBe('UNAUTHORIZED')
      await socket.request(authMessage(services.body.token), 'AUTH_OK')
    } finally {
      await socket.close()
    }
  })
})

describe('the admin token', () => {
  it('is on by itself on a public address, and off there only with a loud warning', () => {
    const dataDir = tempDir()
    try {
      expect(setUpAuth(dataDir, { host: '0.0.0.0' }).settings.enabled).toBe(true)
      expect(setUpAuth(dataDir, { host: '127.0.0.1' }).settings.enabled).toBe(false)
      const off = setUpAuth(dataDir, { host: '0.0.0.0', mode: 'off' })
      expect(off.settings.enabled).toBe(false)
      expect(off.notices.join('\n')).toMatch(/WARNING: auth is off on 0\.0\.0\.0/)
    } finally {
      removeDir(dataDir)
    }
  })
})

const hello = () => ({
  type: 'hello',
  protocol: PROTOCOL_VERSION,
  agent: { kind: 'node' },
  capabilities: { runtimes: ['js'], concurrency: 1 },
})

describe('a volunteer token', () => {
  it('keeps volunteers without it out, while its own internal workers get in', async () => {
    const server = await createTestApp({ config: { volunteerToken: 'vt-secret' }, volunteers: 1 })
    try {
      const job = await as(server.fetch).post('/api/jobs', { job_type: 'js', code: '2 + 2' })
      const done = await as(server.fetch).get(`/api/jobs/${job.body.id}?wait=20`)
      expect(done.body).toMatchObject({ status: 'completed', result: 4 })
      // Who a volunteer is gets decided at its hello (runners send their token there).
      const refused = await server.scripted(false)
      refused.send(hello())
      expect(await refused.next('error')).toMatchObject({ code: 'UNAUTHORIZED' })
      expect((await refused.waitClosed()).code).toBe(1008)
      const wrong = await server.scripted(false, { token: 'vt-wrong' })
      wrong.send(hello())
      expect(await wrong.next('error')).toMatchObject({ code: 'UNAUTHORIZED' })
      const admitted = await server.scripted(false, { token: 'vt-secret' })
      admitted.send(hello())
      expect((await admitted.next('welcome')).volunteer_id).toMatch(/^[0-9a-f-]{36}$/)
      admitted.close()
      const inHello = await server.scripted(false)
      inHello.send({ ...hello(), token: 'vt-secret' })
      expect((await inHello.next('welcome')).volunteer_id).toMatch(/^[0-9a-f-]{36}$/)
      inHello.close()
    } finally {
      await server.close()
    }
  })
})
