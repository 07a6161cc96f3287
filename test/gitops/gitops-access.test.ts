/**
 * GitOps rights with auth on: applications belong to their namespace ('deploy' there), a token
 * of another namespace gets 403 for every route, only the admin may fetch file:// repositories,
 * a manifest that names a namespace the caller does not hold is refused with 403, and the push
 * webhook takes its signature instead of a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { jsFunction, manifest, repoWith, signature } from '../helpers/gitops-fixtures'
import { removeDir, startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

const ADMIN = 'zv-gitops-admin-token-0123456789'
const SECRET = 'the webhook secret for this test'
let server: ZerverlessProcess
let admin: ApiClient
let alice: ApiClient
let bob: ApiClient

const as = (token: string) =>
  api((path, init) =>
    fetch(server.url + path, {
      ...init,
      headers: { ...init?.headers, authorization: `Bearer ${token}` },
    }),
  )

beforeAll(async () => {
  server = await startZerverless(['--auth', 'on', '--workers', '0'], undefined, {
    ZERVERLESS_ADMIN_TOKEN: ADMIN,
  })
  admin = as(ADMIN)
  const token = async (namespace: string) =>
    (await admin.post('/api/tokens', { namespaces: [namespace], rights: ['deploy'] })).body
      .token as string
  alice = as(await token('alice'))
  bob = as(await token('bob'))
}, 60_000)

afterAll(async () => {
  await server?.stop()
  if (server) removeDir(server.dataDir)
})

describe('GitOps rights', () => {
  it("keeps bob's application from a token of another namespace", async () => {
    const repo = repoWith({
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), { static: false }),
    })
    const body = { name: 'site', namespace: 'bob', source: { repoURL: repo.url } }
    expect((await alice.post('/api/gitops/applications', body)).status).toBe(403)
    const created = await admin.post('/api/gitops/applications', body)
    expect(created.status).toBe(201)
    expect(created.body.phase).toBe('Synced')
    for (const attempt of [
      () => alice.post('/api/gitops/applications/site/sync?namespace=bob'),
      () => alice.post('/api/gitops/applications/site/sync?namespace=bob&dryRun=true'),
      () => alice.post(`/api/gitops/applications/site/sync?namespace=bob&revision=${repo.first}`),
      () => alice.get('/api/gitops/applications/site?namespace=bob'),
      () => alice.get('/api/gitops/applications?namespace=bob'),
      () => alice.get('/api/gitops/applications'),
      () => alice.delete('/api/gitops/applications/site?namespace=bob&prune=true'),
    ]) {
      const res = await attempt()
      expect(res.status).toBe(403)
      expect(res.body).toMatchObject({ code: 'FORBIDDEN' })
    }
    expect((await bob.get('/api/gitops/applications/site?namespace=bob')).body.phase).toBe('Synced')
    expect((await bob.post('/api/gitops/applications/site/sync?namespace=bob')).status).toBe(200)
    const anonymous = await fetch(`${server.url}/api/gitops/applications/site/sync?namespace=bob`, {
      method: 'POST',
    })
    expect(anonymous.status).toBe(401)
  })

  it('lets only the admin register a file:// repository', async () => {
    const repo = repoWith({
      'zerverless.yaml': manifest('site', jsFunction('/hello', 'hi'), { static: false }),
    })
    const res = await alice.post('/api/gitops/applications', {
      name: 'local',
      namespace: 'alice',
      source: { repoURL: repo.url },
    })
    expect(res.status).toBe(403)
    expect(res.body.error).toMatch(/file:\/\//)
    expect((await admin.get('/api/gitops/applications/local?namespace=alice')).status).toBe(404)
  })

  it('refuses a manifest that deploys to a namespace the caller does not hold', async () => {
    const repo = repoWith({
      'zerverless.yaml': manifest('site', jsFunction('/moved', 'alice v1'), { static: false }),
    })
    const created = await admin.post('/api/gitops/applications', {
      name: 'moving',
      namespace: 'alice',
      source: { repoURL: repo.url },
      webhookSecret: SECRET,
    })
    expect(created.body).toMatchObject({ phase: 'Synced', deploysTo: 'alice' })
    repo.push('main', {
      'zerverless.yaml': manifest('site', jsFunction('/moved', 'into bob'), {
        static: false,
        namespace: 'bob',
      }),
    })
    const refused = await alice.post('/api/gitops/applications/moving/sync?namespace=alice')
    expect(refused.status).toBe(403)
    expect(refused.body).toMatchObject({ code: 'FORBIDDEN', field: 'metadata.namespace' })
    expect((await admin.get('/api/deploy/bob/moved')).status).toBe(404)

    // A push cannot move it either: no caller accepted namespace bob.
    const payload = '{"ref":"refs/heads/main"}'
    const hook = await fetch(
      `${server.url}/api/gitops/applications/moving/webhook?namespace=alice`,
      {
        method: 'POST',
        headers: { 'x-hub-signature-256': signature(SECRET, payload) },
        body: payload,
      },
    )
    expect(hook.status).toBe(200)
    const failed = (await hook.json()) as { phase: string; error: { message: string } }
    expect(failed.phase).toBe('Failed')
    expect(failed.error.message).toMatch(/namespace 'bob'/)
    expect((await admin.get('/api/deploy/bob/moved')).status).toBe(404)

    const wrong = await fetch(
      `${server.url}/api/gitops/applications/moving/webhook?namespace=alice`,
      {
        method: 'POST',
        headers: { 'x-hub-signature-256': signature('a different secret!!', payload) },
        body: payload,
      },
    )
    expect(wrong.status).toBe(401)

    // The admin holds bob: its sync accepts the move. What stayed in alice is no longer the
    // manifest's (kept, as the application does not prune, and the phase says so).
    const moved = await admin.post('/api/gitops/applications/moving/sync?namespace=alice')
    expect(moved.body).toMatchObject({ phase: 'OutOfSync', deploysTo: 'bob' })
    expect(moved.body.sync.changes).toEqual([
      { kind: 'function', name: '/moved', action: 'create', namespace: 'bob' },
      { kind: 'function', name: '/moved', action: 'orphaned', namespace: 'alice' },
    ])
    expect((await admin.get('/api/deploy/bob/moved')).status).toBe(200)
    expect((await admin.get('/api/deploy/alice/moved')).status).toBe(200)

    // Registering it again does not inherit the admin's acceptance of bob.
    const again = await alice.post('/api/gitops/applications', {
      name: 'moving',
      namespace: 'alice',
      source: { repoURL: repo.url },
    })
    expect(again.status).toBe(403)
    const kept = await admin.get('/api/gitops/applications/moving?namespace=alice')
    expect(kept.body).toMatchObject({ deploysTo: 'bob', webhook: true })
  })
})
