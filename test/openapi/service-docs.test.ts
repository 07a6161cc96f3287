/**
 * The OpenAPI entries of `/api/services/standalone` against a real orchestrator process and a real
 * `zerverless-runner` (real scripts, a real git repository): create from a path and from git,
 * list, read, update in place, run, delete, and the errors each entry lists; plus, in process, a
 * host without runners and one with auth on. Each answer is checked against its route's entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceRoutes } from '../../edge/core/routes/service-routes'
import { fetcherOf } from '../helpers/api'
import { gitRepo } from '../helpers/git-repo'
import { documentedCall, documentedCaller, mintToken } from '../helpers/route-docs'
import { startServiceHost, type ServiceHost } from '../helpers/service-host'
import { createTestApp, type TestApp } from '../helpers/test-app'
import { removeDir, tempDir } from '../helpers/temp-dir'

let h: ServiceHost
let empty: TestApp
let locked: TestApp
const repoRoot = tempDir('zv-docs-git-')
const BASE = '/api/services/standalone'

const call = (method: string, url: string, body?: unknown, headers = {}) =>
  documentedCall(serviceRoutes, fetcherOf(h.server.url), method, url, body, headers)
const inProcess = documentedCaller(serviceRoutes)
const idOf = (res: { body: unknown }) => (res.body as { service: { id: number } }).service.id

beforeAll(async () => {
  ;[h, empty, locked] = await Promise.all([
    startServiceHost(),
    createTestApp({ volunteers: 0 }),
    createTestApp({ volunteers: 0, auth: {} }),
  ])
}, 60_000)

afterAll(async () => {
  await Promise.all([h?.stop(), empty?.close(), locked?.close()])
  removeDir(repoRoot)
})

describe('standalone services as documented', () => {
  it('creates, lists, reads, updates, runs and deletes with the documented shapes', async () => {
    const v1 = h.script('docs-v1.sh', 'echo "one $1"')
    const created = await call('POST', `${BASE}/from-local`, {
      service_name: 'docs-greet',
      executable_path: v1,
      arguments: ['a'],
      environment_variables: { GREETING: 'hi' },
    })
    expect(created.status).toBe(201)
    const id = idOf(created)
    expect((await call('GET', BASE)).status).toBe(200)
    expect((await call('GET', `${BASE}?namespace=default`)).status).toBe(200)
    expect((await call('GET', `${BASE}/${id}/details`)).status).toBe(200)
    const v2 = h.script('docs-v2.sh', 'echo "two $1"')
    const updated = await call('PUT', `${BASE}/${id}`, { executable_path: v2 })
    expect(updated).toMatchObject({ status: 200, body: { service: { version: 2 } } })
    const run = await call('POST', `${BASE}/${id}/run`, { arguments: ['b'] })
    expect(run.status).toBe(202)
    const job = (run.body as { job: { id: string } }).job.id
    const done = await h.client.get(`/api/jobs/${job}?wait=30`)
    expect(done.body.output).toContain('two b')
    expect((await call('POST', `${BASE}/${id}/run`)).status).toBe(202)
    expect((await call('DELETE', `${BASE}/${id}`)).status).toBe(200)
  })

  it('creates and updates from git with the documented shapes', async () => {
    const repo = gitRepo(repoRoot)
    const build = (word: string) =>
      `set -e\nmkdir -p out\nprintf '#!/bin/sh\\necho "${word}"\\n' > out/app\nchmod +x out/app\n`
    repo.push('main', { 'build.sh': build('one') })
    const built = { repo_url: repo.url, build_command: 'sh build.sh', executable_path: 'out/app' }
    const body = { service_name: 'docs-git', ...built }
    const created = await call('POST', `${BASE}/from-git`, body)
    expect(created.status).toBe(201)
    const id = idOf(created)
    repo.push('main', { 'build.sh': build('two') })
    const updated = await call('PUT', `${BASE}/${id}`, built)
    expect(updated).toMatchObject({ status: 200, body: { service: { version: 2 } } })
    expect((await call('DELETE', `${BASE}/${id}`)).status).toBe(200)
  })

  it('gives the documented errors for bad input', async () => {
    const script = h.script('docs-bad.sh', 'echo bad')
    expect((await call('POST', `${BASE}/from-local`, { service_name: 'x' })).status).toBe(400)
    const missing = { service_name: 'docs-missing', executable_path: '/nonexistent/file' }
    expect((await call('POST', `${BASE}/from-local`, missing)).status).toBe(400)
    const nowhere = { service_name: 'docs-nowhere', executable_path: script, peer_id: 'nobody' }
    expect((await call('POST', `${BASE}/from-local`, nowhere)).status).toBe(404)
    const created = await call('POST', `${BASE}/from-local`, {
      service_name: 'docs-bad',
      executable_path: script,
    })
    const id = idOf(created)
    const again = { service_name: 'docs-bad', executable_path: script }
    expect((await call('POST', `${BASE}/from-local`, again)).status).toBe(409)
    expect(
      (await call('POST', `${BASE}/from-git`, { service_name: 'g', repo_url: 'ftp://x' })).status,
    ).toBe(400)
    const clone = {
      service_name: 'docs-clone',
      repo_url: 'file:///nonexistent/repo.git',
      executable_path: 'a',
    }
    expect((await call('POST', `${BASE}/from-git`, clone)).status).toBe(400)
    const big = {
      service_name: 'docs-big',
      executable_path: script,
      arguments: ['x'.repeat(2 << 20)],
    }
    expect((await call('POST', `${BASE}/from-local`, big)).status).toBe(413)

    expect((await call('GET', `${BASE}/abc/details`)).status).toBe(400)
    expect((await call('GET', `${BASE}/999999/details`)).status).toBe(404)
    expect((await call('PUT', `${BASE}/999999`, { executable_path: script })).status).toBe(404)
    expect((await call('PUT', `${BASE}/${id}`, { executable_path: 'relative' })).status).toBe(400)
    expect((await call('DELETE', `${BASE}/abc`)).status).toBe(400)
    expect((await call('DELETE', `${BASE}/999999`)).status).toBe(404)
    expect((await call('POST', `${BASE}/999999/run`)).status).toBe(404)
    expect((await call('POST', `${BASE}/${id}/run`, { stdin: 3 })).status).toBe(400)
    expect((await call('POST', `${BASE}/abc/run`)).status).toBe(400)
    expect((await call('GET', `${BASE}/${id}/files/a.txt?job=nope`)).status).toBe(401)
    expect((await call('GET', `${BASE}/999999/files/a.txt`)).status).toBe(404)
    expect((await call('GET', `${BASE}/abc/files/a.txt`)).status).toBe(400)
    expect((await call('DELETE', `${BASE}/${id}`)).status).toBe(200)
  })

  it('gives the documented 503 on a host without runners', async () => {
    const body = { service_name: 'docs-none', executable_path: '/bin/true' }
    expect((await inProcess(empty, 'POST', `${BASE}/from-local`, body)).status).toBe(503)
  })

  it('gives the documented 401 and 403 when auth is on', async () => {
    const body = { service_name: 'docs-locked', executable_path: '/bin/true', namespace: 'docs' }
    expect((await inProcess(locked, 'POST', `${BASE}/from-local`, body)).status).toBe(401)
    expect((await inProcess(locked, 'GET', `${BASE}?namespace=docs`)).status).toBe(401)
    const other = await mintToken(locked.fetch, locked.adminToken!, ['other'], ['services'])
    expect((await inProcess(locked, 'POST', `${BASE}/from-local`, body, other)).status).toBe(403)
    expect((await inProcess(locked, 'GET', BASE, undefined, other)).status).toBe(403)
    expect(
      (await inProcess(locked, 'GET', `${BASE}?namespace=docs`, undefined, other)).status,
    ).toBe(403)
  })
})
