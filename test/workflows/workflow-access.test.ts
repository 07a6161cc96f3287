/**
 * Workflows belong to a namespace: with auth on, a token for another namespace can neither define
 * one there nor see, start, cancel or delete one, nor read its runs (an unknown id is a 404 alike).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { createTestApp, idleVolunteers, type TestApp } from '../helpers/test-app'

let server: TestApp
let admin: ApiClient
let alice: ApiClient
let bob: ApiClient

const as = (token: string) =>
  api((path, init) =>
    server.fetch(path, {
      ...init,
      headers: { ...init?.headers, authorization: `Bearer ${token}` },
    }),
  )

beforeAll(async () => {
  server = await createTestApp({ auth: {}, volunteers: 1 })
  await idleVolunteers(server, 1)
  admin = as(server.adminToken as string)
  const token = async (namespace: string) =>
    (await admin.post('/api/tokens', { namespaces: [namespace], rights: ['jobs'] })).body
      .token as string
  alice = as(await token('alice'))
  bob = as(await token('bob'))
}, 60_000)

afterAll(async () => {
  await server.close()
})

describe('workflow rights', () => {
  it("keeps alice's workflow and runs from bob", async () => {
    const doc = {
      name: 'mine',
      namespace: 'alice',
      steps: [{ id: 'a', run: { runtime: 'js', code: '1' } }],
    }
    expect((await bob.post('/api/workflows', doc)).status).toBe(403)
    const created = await alice.post('/api/workflows', doc)
    expect(created.status).toBe(201)
    const id = created.body.id as string
    const run = (await alice.post(`/api/workflows/${id}/runs`, {})).body.id as string
    for (const attempt of [
      () => bob.get(`/api/workflows/${id}`),
      () => bob.put(`/api/workflows/${id}`, doc),
      () => bob.delete(`/api/workflows/${id}`),
      () => bob.post(`/api/workflows/${id}/runs`, {}),
      () => bob.get(`/api/workflows/${id}/runs`),
      () => bob.get(`/api/workflow-runs/${run}`),
      () => bob.delete(`/api/workflow-runs/${run}`),
      () => bob.post(`/api/workflow-runs/${run}/retry`),
      () => bob.get('/api/workflows?namespace=alice'),
    ]) {
      const res = await attempt()
      expect(res.status, JSON.stringify(res.body)).toBe(403)
    }
    expect((await bob.get('/api/workflows')).status).toBe(403)
    expect((await admin.get('/api/workflows')).status).toBe(200)
    expect((await alice.get(`/api/workflow-runs/${run}?wait=30`)).body.status).toBe('completed')
    expect((await bob.get('/api/workflow-runs/nope')).status).toBe(404)
  })
})
