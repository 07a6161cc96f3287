/**
 * A core whose host runs no git (the Workers host; here the in-process core built without files,
 * and so without a repository reader) answers every GitOps application route with 501, and still
 * publishes the manifest's schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestApp, type TestApp } from '../helpers/test-app'

let server: TestApp

beforeAll(async () => {
  server = await createTestApp({ volunteers: 0, files: false })
})

afterAll(async () => {
  await server.close()
})

describe('GitOps without git', () => {
  it('answers 501 NOT_SUPPORTED, saying where it runs', async () => {
    const body = {
      name: 'site',
      namespace: 'alice',
      source: { repoURL: 'https://example.invalid/x.git' },
    }
    for (const res of [
      await server.api.post('/api/gitops/applications', body),
      await server.api.get('/api/gitops/applications?namespace=alice'),
      await server.api.get('/api/gitops/applications/site?namespace=alice'),
      await server.api.post('/api/gitops/applications/site/sync?namespace=alice'),
      await server.api.delete('/api/gitops/applications/site?namespace=alice'),
      await server.api.post('/api/gitops/applications/site/webhook?namespace=alice', '{}'),
    ]) {
      expect(res.status).toBe(501)
      expect(res.body).toMatchObject({ code: 'NOT_SUPPORTED' })
      expect(res.body.error).toMatch(/Node host/)
    }
  })

  it('still serves the manifest schema', async () => {
    const res = await server.api.get('/api/gitops/schema')
    expect(res.status).toBe(200)
    expect(res.body.title).toMatch(/zerverless\.yaml/)
  })
})
