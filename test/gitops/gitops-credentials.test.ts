/**
 * Repository credentials over real git smart HTTP (`git http-backend` behind Basic auth): a token
 * reaches git through the askpass helper (as the password, user `x-access-token`), username and
 * password as given; wrong ones fail the sync with git's reason and never with the secret. With
 * auth on, a token caller may register an http repository, but not one whose manifest deploys to
 * a namespace the token does not cover.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api, type ApiClient } from '../helpers/api'
import { jsFunction, manifest, repoWith } from '../helpers/gitops-fixtures'
import { startGitHttpServer, type GitHttpServer } from '../helpers/git-http-server'
import { removeDir, startZerverless, type ZerverlessProcess } from '../helpers/zerverless-process'

const ADMIN = 'zv-gitops-cred-admin-token-0123456789'
const TOKEN = 'ghp_repository_TOKEN_0123456789'
let server: ZerverlessProcess
let git: GitHttpServer
let admin: ApiClient
let alice: ApiClient
let repo: ReturnType<typeof repoWith>
let url: string

const as = (token: string) =>
  api((p, init) =>
    fetch(server.url + p, {
      ...init,
      headers: { ...init?.headers, authorization: `Bearer ${token}` },
    }),
  )

beforeAll(async () => {
  repo = repoWith({
    'zerverless.yaml': manifest('site', jsFunction('/hello', 'over http'), { static: false }),
  })
  git = await startGitHttpServer(path.dirname(repo.bare), 'x-access-token', TOKEN)
  url = git.urlOf(repo.bare)
  server = await startZerverless(['--auth', 'on', '--workers', '0'], undefined, {
    ZERVERLESS_ADMIN_TOKEN: ADMIN,
  })
  admin = as(ADMIN)
  const issued = await admin.post('/api/tokens', { namespaces: ['alice'], rights: ['deploy'] })
  alice = as(issued.body.token as string)
}, 60_000)

afterAll(async () => {
  await server?.stop()
  if (server) removeDir(server.dataDir)
  await git?.close()
})

describe('GitOps credentials', () => {
  it('fetches with a token through the askpass helper', async () => {
    const created = await alice.post('/api/gitops/applications', {
      name: 'site',
      namespace: 'alice',
      source: { repoURL: url },
      auth: { token: TOKEN },
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({ phase: 'Synced', commit: repo.first, auth: 'set' })
    expect((await alice.get('/api/deploy/alice/hello')).status).toBe(200)
    expect(git.seen).toContain(`Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`)
    expect(JSON.stringify(created.body)).not.toContain(TOKEN)
    // Sealed at rest: the token is in no file of the data directory (the database, its WAL).
    for (const file of ['zerverless.db', 'zerverless.db-wal']) {
      const at = path.join(server.dataDir, file)
      if (existsSync(at)) expect(readFileSync(at).includes(TOKEN)).toBe(false)
    }
  })

  it("fails the sync with git's reason, never the secret, when the credentials are wrong", async () => {
    for (const auth of [
      undefined,
      { token: 'ghp_WRONG_token_value_987654' },
      { username: 'x-access-token', password: 'WRONG-password-value' },
    ]) {
      const res = await alice.post('/api/gitops/applications', {
        name: 'denied',
        namespace: 'alice',
        source: { repoURL: url },
        ...(auth && { auth }),
      })
      expect(res.status).toBe(201)
      expect(res.body.phase).toBe('Failed')
      expect(res.body.error.message).toMatch(
        /git fetch of http:\/\/127\.0\.0\.1:\d+\/origin\.git failed/,
      )
      const text = JSON.stringify(res.body)
      for (const secret of ['ghp_WRONG_token_value_987654', 'WRONG-password-value', TOKEN])
        expect(text).not.toContain(secret)
    }
    const basic = await alice.post('/api/gitops/applications', {
      name: 'basic',
      namespace: 'alice',
      source: { repoURL: url },
      auth: { username: 'x-access-token', password: TOKEN },
    })
    expect(basic.body.phase).toBe('Synced')
    for (const secret of [TOKEN, 'ghp_WRONG_token_value_987654', 'WRONG-password-value'])
      expect(server.output()).not.toContain(secret)
  })

  it("refuses a token's registration whose manifest deploys to a namespace it does not cover", async () => {
    const other = repoWith({
      'zerverless.yaml': manifest('site', jsFunction('/stolen', 'x'), {
        static: false,
        namespace: 'bob',
      }),
    })
    const otherGit = await startGitHttpServer(path.dirname(other.bare), 'x-access-token', TOKEN)
    try {
      const res = await alice.post('/api/gitops/applications', {
        name: 'sneaky',
        namespace: 'alice',
        source: { repoURL: otherGit.urlOf(other.bare) },
        auth: { token: TOKEN },
      })
      expect(res.status).toBe(403)
      expect(res.body).toMatchObject({ code: 'FORBIDDEN', field: 'metadata.namespace' })
      expect((await admin.get('/api/gitops/applications/sneaky?namespace=alice')).status).toBe(404)
      expect((await admin.get('/api/deploy/bob/stolen')).status).toBe(404)
    } finally {
      await otherGit.close()
    }
  })
})
