/** The seed's database API, with its limits and every error; in process, no volunteers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ApiClient } from '../helpers/api'
import { createTestApp, type TestApp } from '../helpers/test-app'

let server: TestApp
let client: ApiClient

beforeAll(async () => {
  server = await createTestApp({ volunteers: 0 })
  client = server.api
})

afterAll(async () => {
  await server.close()
})

describe('database', () => {
  it('stores, reads, lists and deletes as the seed README shows', async () => {
    expect(
      await client.post('/api/db/alice/mykey', 'x').then(() => client.get('/api/db/alice/mykey')),
    ).toMatchObject({ status: 404 })
    const put = await server.fetch(`/api/db/alice/mykey`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: { name: 'Alice', count: 42 } }),
    })
    expect(put.status).toBe(200)
    expect(await client.get('/api/db/alice/mykey')).toMatchObject({
      status: 200,
      body: { key: 'mykey', value: { name: 'Alice', count: 42 }, exists: true },
    })
    await server.fetch(`/api/db/alice/other`, {
      method: 'PUT',
      body: JSON.stringify({ value: 1 }),
    })
    expect((await client.get('/api/db/alice/?prefix=my')).body).toMatchObject({
      keys: ['mykey'],
      count: 1,
    })
    expect((await client.delete('/api/db/alice/mykey')).status).toBe(204)
    expect(await client.get('/api/db/alice/mykey')).toMatchObject({
      status: 404,
      body: { key: 'mykey', value: null, exists: false, code: 'KEY_NOT_FOUND' },
    })
    expect((await client.delete('/api/db/alice/mykey')).status).toBe(404)
  })

  it('keeps namespaces apart', async () => {
    await server.fetch(`/api/db/bob/secret`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'bob only' }),
    })
    expect((await client.get('/api/db/carol/secret')).status).toBe(404)
    expect((await client.get('/api/db/carol/')).body.keys).toEqual([])
  })

  it('pages through keys with limit and cursor', async () => {
    for (let i = 0; i < 5; i++)
      await server.fetch(`/api/db/pager/k${i}`, {
        method: 'PUT',
        body: JSON.stringify({ value: i }),
      })
    const first = (await client.get('/api/db/pager/?limit=2')).body
    expect(first).toMatchObject({ keys: ['k0', 'k1'], cursor: 'k1' })
    const second = (await client.get(`/api/db/pager/?limit=2&cursor=${first.cursor}`)).body
    expect(second).toMatchObject({ keys: ['k2', 'k3'], cursor: 'k3' })
    expect((await client.get('/api/db/pager/?limit=2&cursor=k3')).body).toMatchObject({
      keys: ['k4'],
      cursor: null,
    })
  })

  it('forgets a key after its ttl', async () => {
    await server.fetch(`/api/db/alice/brief`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'soon gone', ttl: 0.3 }),
    })
    expect((await client.get('/api/db/alice/brief')).status).toBe(200)
    await new Promise((r) => setTimeout(r, 400))
    expect((await client.get('/api/db/alice/brief')).status).toBe(404)
  })

  it('refuses bad keys, bodies and sizes with clear errors', async () => {
    const put = (target: string, body: string) =>
      server.fetch(target, { method: 'PUT', body }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }))
    expect(await put('/api/db/alice/k', 'not json')).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST' },
    })
    expect(await put('/api/db/alice/k', '{"value": 1, "colour": "red"}')).toMatchObject({
      status: 400,
      body: { field: 'colour' },
    })
    expect(await put('/api/db/alice/k', '{"value": 1, "ttl": -5}')).toMatchObject({
      status: 400,
      body: { field: 'ttl' },
    })
    expect(await put(`/api/db/alice/${'k'.repeat(600)}`, '{"value": 1}')).toMatchObject({
      status: 400,
      body: { field: 'key' },
    })
    expect(await put('/api/db/alice/a%2Fb', '{"value": 1}')).toMatchObject({
      status: 400,
      body: { field: 'key' },
    })
    expect(await put('/api/db/alice/a/b', '{"value": 1}')).toMatchObject({
      status: 400,
      body: { field: 'key' },
    })
    expect(await put('/api/db/bad..ns/k', '{"value": 1}')).toMatchObject({
      status: 400,
      body: { field: 'namespace' },
    })
    const big = JSON.stringify({ value: 'x'.repeat(2 * 1024 * 1024) })
    const tooBig = await server.fetch(`/api/db/alice/big`, { method: 'PUT', body: big })
    expect(tooBig.status).toBe(413)
  })
})
