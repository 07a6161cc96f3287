/**
 * The OpenAPI entries of `/api/gitops` against a real orchestrator fetching real git repositories
 * (file:// URLs): register, sync, dry run, pin, webhook, list, delete with prune, and the errors
 * each entry lists, each answer checked against the entry of the route that gave it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gitopsRoutes } from '../../edge/core/routes/gitops-routes'
import { jsFunction, manifest, repoWith, signature } from '../helpers/gitops-fixtures'
import { documentedCall, mintToken } from '../helpers/route-docs'
import { createTestApp, type TestApp } from '../helpers/test-app'

let app: TestApp
let noGit: TestApp
let locked: TestApp
const SECRET = 'a-webhook-secret-of-enough-length'
const call = (on: TestApp, method: string, url: string, body?: unknown, headers = {}) =>
  documentedCall(gitopsRoutes, on.fetch, method, url, body, headers)
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

beforeAll(async () => {
  ;[app, noGit, locked] = await Promise.all([
    createTestApp({ volunteers: 0 }),
    createTestApp({ volunteers: 0, files: false }),
    createTestApp({ volunteers: 0, auth: {} }),
  ])
})

afterAll(async () => {
  await Promise.all([app?.close(), noGit?.close(), locked?.close()])
})

const site = () =>
  repoWith({
    'zerverless.yaml': manifest('site', jsFunction('/hello', 'hello v1')),
    'public/index.html': '<h1>git</h1>\n',
  })

describe('GitOps as documented', () => {
  it('registers, syncs, pins, lists and deletes with the documented shapes', async () => {
    expect((await call(app, 'GET', '/api/gitops/schema')).status).toBe(200)
    const repo = site()
    const body = {
      name: 'site',
      namespace: 'docs',
      source: { repoURL: repo.url },
      webhookSecret: SECRET,
    }
    const created = await call(app, 'POST', '/api/gitops/applications', body)
    expect(created).toMatchObject({ status: 201, body: { phase: 'Synced', webhook: true } })
    const second = repo.push('main', { 'public/about.html': 'about\n' }, 'second')
    const dry = await call(
      app,
      'POST',
      '/api/gitops/applications/site/sync?namespace=docs&dryRun=true',
    )
    expect(dry).toMatchObject({ status: 200, body: { dryRun: true, commit: second } })
    const pinned = `/api/gitops/applications/site/sync?namespace=docs&revision=${repo.first}`
    expect(await call(app, 'POST', pinned)).toMatchObject({
      status: 200,
      body: { revision: repo.first },
    })
    const push = JSON.stringify({ ref: 'refs/heads/main' })
    const hook = await call(
      app,
      'POST',
      '/api/gitops/applications/site/webhook?namespace=docs',
      push,
      {
        'x-hub-signature-256': signature(SECRET, push),
      },
    )
    expect(hook).toMatchObject({ status: 200, body: { sync: { dryRun: false } } })
    expect((await call(app, 'GET', '/api/gitops/applications/site?namespace=docs')).status).toBe(
      200,
    )
    const listed = await call(app, 'GET', '/api/gitops/applications?namespace=docs')
    expect(listed).toMatchObject({ status: 200, body: { total: 1 } })
    expect((await call(app, 'GET', '/api/gitops/applications')).status).toBe(200)
    const deleted = await call(
      app,
      'DELETE',
      '/api/gitops/applications/site?namespace=docs&prune=true',
    )
    expect(deleted).toMatchObject({ status: 200, body: { deleted: 'site' } })
    expect((deleted.body as { pruned: string[] }).pruned).toContain('function:/hello')
  })

  it('registers a repository it cannot sync, with the reason in the documented shape', async () => {
    const broken = repoWith({ 'zerverless.yaml': 'apiVersion: nope\n' })
    const body = { name: 'broken', namespace: 'docs', source: { repoURL: broken.url } }
    const created = await call(app, 'POST', '/api/gitops/applications', body)
    expect(created).toMatchObject({ status: 201, body: { phase: 'Failed' } })
    expect((created.body as { sync: { error: unknown } }).sync.error).not.toBeNull()
  })

  it('gives the documented errors for bad input', async () => {
    const bad = { name: '-x', source: { repoURL: 'nope' } }
    expect((await call(app, 'POST', '/api/gitops/applications', bad)).status).toBe(400)
    const big = { name: 'x', source: { repoURL: 'https://example.com/' + 'x'.repeat(2 << 20) } }
    expect((await call(app, 'POST', '/api/gitops/applications', big)).status).toBe(413)
    expect((await call(app, 'GET', '/api/gitops/applications?namespace=-x')).status).toBe(400)
    expect((await call(app, 'GET', '/api/gitops/applications/none')).status).toBe(404)
    expect((await call(app, 'POST', '/api/gitops/applications/none/sync')).status).toBe(404)
    expect((await call(app, 'DELETE', '/api/gitops/applications/none')).status).toBe(404)
    expect((await call(app, 'POST', '/api/gitops/applications/none/sync?dryRun=1')).status).toBe(
      400,
    )
    expect(
      (await call(app, 'POST', '/api/gitops/applications/none/sync?revision=XYZ')).status,
    ).toBe(400)
    expect((await call(app, 'DELETE', '/api/gitops/applications/none?prune=yes')).status).toBe(400)
    const push = '{}'
    const unsigned = await call(app, 'POST', '/api/gitops/applications/none/webhook', push)
    expect(unsigned.status).toBe(401)
    expect(
      (await call(app, 'POST', '/api/gitops/applications/x/webhook?namespace=-x', push)).status,
    ).toBe(400)
  })

  it('gives the documented 501 on a host without git', async () => {
    const body = { name: 'site', source: { repoURL: 'https://example.com/site.git' } }
    expect((await call(noGit, 'POST', '/api/gitops/applications', body)).status).toBe(501)
    expect((await call(noGit, 'GET', '/api/gitops/applications')).status).toBe(501)
    expect((await call(noGit, 'GET', '/api/gitops/applications/site')).status).toBe(501)
    expect((await call(noGit, 'POST', '/api/gitops/applications/site/sync')).status).toBe(501)
    expect((await call(noGit, 'DELETE', '/api/gitops/applications/site')).status).toBe(501)
    expect((await call(noGit, 'POST', '/api/gitops/applications/site/webhook', '{}')).status).toBe(
      501,
    )
  })

  it('gives the documented 401 and 403 when auth is on', async () => {
    expect((await call(locked, 'GET', '/api/gitops/applications?namespace=docs')).status).toBe(401)
    const body = { name: 'site', namespace: 'docs', source: { repoURL: site().url } }
    expect((await call(locked, 'POST', '/api/gitops/applications', body)).status).toBe(401)
    const mine = await mintToken(locked.fetch, locked.adminToken!, ['docs'], ['deploy'])
    const other = await mintToken(locked.fetch, locked.adminToken!, ['other'], ['deploy'])
    // file:// is the admin's alone.
    expect(
      (await call(locked, 'POST', '/api/gitops/applications', body, bearer(mine))).status,
    ).toBe(403)
    expect(
      (await call(locked, 'POST', '/api/gitops/applications', body, bearer(other))).status,
    ).toBe(403)
    expect(
      (await call(locked, 'GET', '/api/gitops/applications', undefined, bearer(mine))).status,
    ).toBe(403)
    const one = '/api/gitops/applications/site?namespace=docs'
    expect((await call(locked, 'GET', one, undefined, bearer(other))).status).toBe(403)
    expect((await call(locked, 'DELETE', one, undefined, bearer(other))).status).toBe(403)
    const sync = '/api/gitops/applications/site/sync?namespace=docs'
    expect((await call(locked, 'POST', sync, undefined, bearer(other))).status).toBe(403)
  })
})
