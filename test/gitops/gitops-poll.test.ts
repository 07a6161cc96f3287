/**
 * The poll: applications and their last synced commit are on disk, so after a restart the poll
 * goes on from the store and picks up what was pushed meanwhile; a self-healing application puts
 * back what was changed by hand, and one that does not only reports the drift (OutOfSync).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { api } from '../helpers/api'
import { jsFunction, manifest, repoWith } from '../helpers/gitops-fixtures'
import {
  eventually,
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const started: ZerverlessProcess[] = []
const start = async (dataDir: string) => {
  const server = await startZerverless(['--workers', '0'], dataDir)
  started.push(server)
  return server
}

afterAll(async () => {
  for (const server of started) await server.stop()
  for (const server of started) removeDir(server.dataDir)
})

const site = (hello: string) => manifest('site', jsFunction('/hello', hello), { static: false })

describe('the GitOps poll', () => {
  it('resumes after a restart and syncs what was pushed while it was down', async () => {
    const dataDir = tempDir()
    const repo = repoWith({ 'zerverless.yaml': site('v1') })
    let server = await start(dataDir)
    let client = api(server.url)
    const created = await client.post('/api/gitops/applications', {
      name: 'site',
      namespace: 'polled',
      source: { repoURL: repo.url },
      syncPolicy: { intervalSeconds: 1 },
    })
    expect(created.body).toMatchObject({ phase: 'Synced', commit: repo.first })
    expect(existsSync(path.join(dataDir, 'gitops', 'polled', 'site.git'))).toBe(true)
    const second = repo.push('main', { 'zerverless.yaml': site('v2') })
    await eventually(
      async () =>
        (await client.get('/api/gitops/applications/site?namespace=polled')).body.commit === second,
      20_000,
      'the poll to sync the second commit',
    )
    await server.stop()

    const third = repo.push('main', { 'zerverless.yaml': site('v3') })
    server = await start(dataDir)
    client = api(server.url)
    const status = await eventually(
      async () => {
        const res = await client.get('/api/gitops/applications/site?namespace=polled')
        return res.body.commit === third ? res.body : undefined
      },
      20_000,
      'the poll to resume after the restart',
    )
    expect(status).toMatchObject({ phase: 'Synced', syncPolicy: { intervalSeconds: 1 } })
    const versions = (await client.get('/api/deploy/polled/hello')).body.versions
    expect(versions).toHaveLength(3)
  })

  it('puts back what was changed by hand when it self-heals, and reports drift when not', async () => {
    const server = await start(tempDir())
    const client = api(server.url)
    const repo = repoWith({ 'zerverless.yaml': site('v1') })
    for (const [namespace, selfHeal] of [
      ['healed', true],
      ['drifted', false],
    ] as const) {
      const created = await client.post('/api/gitops/applications', {
        name: 'site',
        namespace,
        source: { repoURL: repo.url },
        syncPolicy: { intervalSeconds: 1, selfHeal },
      })
      expect(created.body.phase).toBe('Synced')
      expect((await client.delete(`/api/deploy/${namespace}/hello`)).status).toBe(204)
    }
    await eventually(
      async () => (await client.get('/api/deploy/healed/hello')).status === 200,
      20_000,
      'self-heal to deploy the function again',
    )
    await eventually(
      async () =>
        (await client.get('/api/gitops/applications/site?namespace=drifted')).body.phase ===
        'OutOfSync',
      20_000,
      'the poll to notice the drift',
    )
    expect((await client.get('/api/deploy/drifted/hello')).status).toBe(404)
    expect((await client.get('/api/gitops/applications/site?namespace=healed')).body.phase).toBe(
      'Synced',
    )
  })
})
