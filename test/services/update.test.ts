/**
 * Updating a standalone service in place (`PUT /api/services/standalone/{id}`, and an upload that
 * names a service), end to end: the real orchestrator (no internal workers), a real
 * `zerverless-runner`, real scripts, a real git repository over file:// and a real upload socket.
 * The id stays, the version goes up, and the next run runs the new executable.
 */
import { existsSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually } from '../helpers/eventually'
import { gitRepo, type GitRepo } from '../helpers/git-repo'
import { startServiceHost, type ServiceHost } from '../helpers/service-host'
import { removeDir, tempDir } from '../helpers/temp-dir'
import {
  fileChunk,
  fileEnd,
  fileStart,
  sha256,
  UploadClient,
  uploadFile,
} from '../helpers/upload-client'

let h: ServiceHost
let repo: GitRepo
const repoRoot = tempDir('zv-update-git-')

beforeAll(async () => {
  h = await startServiceHost()
  repo = gitRepo(repoRoot)
}, 60_000)

afterAll(async () => {
  await h?.stop()
  removeDir(repoRoot)
})

const put = (id: number, body: unknown) => h.client.put(`/api/services/standalone/${id}`, body)
const details = async (id: number) =>
  (await h.client.get(`/api/services/standalone/${id}/details`)).body

async function createLocal(name: string, file: string): Promise<number> {
  const res = await h.create({ service_name: name, executable_path: file })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.service.id as number
}

describe('PUT /api/services/standalone/{id} with a from-local body', () => {
  it('keeps the id, bumps the version, and the next run runs the new executable', async () => {
    const one = h.script('greet-v1.sh', 'echo "greeting version one"')
    const two = h.script('greet-v2.sh', 'echo "greeting version two: $1"')
    const id = await createLocal('greet', one)
    const before = await details(id)
    expect(before.service).toMatchObject({ id, name: 'greet', version: 1 })
    const first = await h.runService(id)
    expect(first.output).toContain('greeting version one')

    const res = await put(id, { executable_path: two, arguments: ['again'] })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.service).toMatchObject({ id, name: 'greet', version: 2, status: 'ACTIVE' })
    const after = await details(id)
    expect(after.service).toMatchObject({ id, version: 2, created_at: before.service.created_at })
    expect(Date.parse(after.service.updated_at)).toBeGreaterThanOrEqual(
      Date.parse(before.service.updated_at),
    )
    expect(after.details).toMatchObject({ version: 2, executable_path: two })
    expect(after.details.executable_hash).not.toBe(before.details.executable_hash)

    const second = await h.runService(id)
    expect(second.status).toBe('completed')
    expect(second.output).toContain('greeting version two: again')
    // Each run records the version it ran; the first one's job and outputs are still there.
    expect(first.input_data).toMatchObject({ service_id: id, service_version: 1 })
    expect(second.input_data).toMatchObject({ service_id: id, service_version: 2 })
    const kept = await h.client.get(`/api/jobs/${first.id}`)
    expect(kept.body.output).toContain('greeting version one')
    const list = (await h.client.get('/api/services/standalone')).body.services
    expect(list.filter((s: { name: string }) => s.name === 'greet')).toEqual([
      expect.objectContaining({ id, version: 2 }),
    ])
  })

  it('re-registers an edited file at the same path, so runs stop failing EXECUTABLE_CHANGED', async () => {
    const file = h.script('edited.sh', 'echo "before the edit"')
    const id = await createLocal('edited', file)
    writeFileSync(file, '#!/bin/bash\necho "after the edit"\n')
    const stale = await h.runService(id)
    expect(stale).toMatchObject({ status: 'failed', error: { code: 'EXECUTABLE_CHANGED' } })

    const res = await put(id, { executable_path: file })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.service.version).toBe(2)
    const fresh = await h.runService(id)
    expect(fresh.status).toBe('completed')
    expect(fresh.output).toContain('after the edit')
  })

  it('lets a run that already started finish on the version it started with', async () => {
    const release = path.join(h.scripts, 'release-started')
    const started = path.join(h.scripts, 'started-marker')
    const one = h.script(
      'slow-v1.sh',
      `touch ${started}; while [ ! -f ${release} ]; do sleep 0.05; done; echo "slow version one"`,
    )
    const two = h.script('slow-v2.sh', 'echo "slow version two"')
    const id = await createLocal('slow', one)
    const run = await h.client.post(`/api/services/standalone/${id}/run`, {})
    expect(run.status).toBe(202)
    await eventually(() => existsSync(started) || undefined, 20_000, 'the run to start')

    expect((await put(id, { executable_path: two })).status).toBe(200)
    writeFileSync(release, '')
    const done = (await h.client.get(`/api/jobs/${run.body.job.id}?wait=30`)).body
    expect(done).toMatchObject({ status: 'completed', input_data: { service_version: 1 } })
    expect(done.output).toContain('slow version one')
    expect((await h.runService(id)).output).toContain('slow version two')
  })

  it('fails a run still queued for the old version, naming why, and runs the new one after', async () => {
    const release = path.join(h.scripts, 'release-queued')
    const one = h.script(
      'busy-v1.sh',
      `while [ ! -f ${release} ]; do sleep 0.05; done; echo "busy version one"`,
    )
    const id = await createLocal('busy', one)
    const start = async () => {
      const res = await h.client.post(`/api/services/standalone/${id}/run`, {})
      expect(res.status).toBe(202)
      return res.body.job.id as string
    }
    const status = async (job: string) => (await h.client.get(`/api/jobs/${job}`)).body.status
    // The test runner takes two jobs at once: two blocking runs fill it, the third waits.
    const running = [await start(), await start()]
    for (const job of running)
      await eventually(async () => (await status(job)) === 'running' || undefined)
    const queued = await start()
    expect(await status(queued)).toBe('pending')

    const res = await put(id, { executable_path: h.script('busy-v2.sh', 'echo "busy two"') })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    writeFileSync(release, '')
    for (const job of running) {
      const done = (await h.client.get(`/api/jobs/${job}?wait=30`)).body
      expect(done).toMatchObject({ status: 'completed', input_data: { service_version: 1 } })
    }
    const stale = (await h.client.get(`/api/jobs/${queued}?wait=30`)).body
    expect(stale).toMatchObject({ status: 'failed', error: { code: 'RUNTIME_UNAVAILABLE' } })
    expect(stale.error.message).toBe(
      `service ${id} was updated to version 2 after this run was queued for version 1; run it again`,
    )
    expect((await h.runService(id)).output).toContain('busy two')
  })

  it('keeps the settings the body leaves out and takes the ones it gives', async () => {
    const file = h.script('settings.sh', 'echo "args: $*"; echo "env: $GREETING"')
    const res = await h.create({
      service_name: 'settings',
      executable_path: file,
      description: 'kept',
      arguments: ['a', 'b'],
      environment_variables: { GREETING: 'hello' },
    })
    const id = res.body.service.id as number
    const updated = await put(id, {
      service_name: 'settings',
      executable_path: file,
      environment_variables: { GREETING: 'bonjour' },
    })
    expect(updated.status, JSON.stringify(updated.body)).toBe(200)
    expect(updated.body.service.description).toBe('kept')
    const job = await h.runService(id)
    expect(job.output).toContain('args: a b')
    expect(job.output).toContain('env: bonjour')
  })
})

describe('refused updates', () => {
  let id: number
  let file: string

  beforeAll(async () => {
    file = h.script('refused.sh', 'echo "still version one"')
    id = await createLocal('refused', file)
  })

  it('answers 404 for an unknown id and 400 for a bad id', async () => {
    const unknown = await put(999_999, { executable_path: file })
    expect(unknown.status).toBe(404)
    expect(unknown.body.code).toBe('SERVICE_NOT_FOUND')
    const bad = await put(0, { executable_path: file })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'id' })
  })

  it('answers 400 naming the field for a bad body, and changes nothing', async () => {
    const cases: [unknown, string][] = [
      [{ executable_path: 'relative/path' }, 'executable_path'],
      [{ executable_path: file, surprise: true }, 'surprise'],
      [{ executable_path: file, service_name: 'another-name' }, 'service_name'],
      [{ executable_path: file, namespace: 'elsewhere' }, 'namespace'],
      [{ executable_path: file, timeout_seconds: 0 }, 'timeout_seconds'],
      [{ repo_url: 'ftp://nowhere', executable_path: 'app' }, 'repo_url'],
    ]
    for (const [body, field] of cases) {
      const res = await put(id, body)
      expect(res.status, JSON.stringify(res.body)).toBe(400)
      expect(res.body.code).toMatch(/^(INVALID_REQUEST|VALIDATION_ERROR)$/)
      expect(JSON.stringify(res.body)).toContain(field)
    }
    const notJson = await h.client.put(`/api/services/standalone/${id}`, '[1, 2]')
    expect(notJson.status).toBe(400)
    expect((await details(id)).service.version).toBe(1)
  })

  it('answers 400 INVALID_EXECUTABLE for a missing file and keeps the old version running', async () => {
    const res = await put(id, { executable_path: path.join(h.scripts, 'missing.sh') })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({ code: 'INVALID_EXECUTABLE', field: 'executable_path' })
    expect((await details(id)).service).toMatchObject({ version: 1, status: 'ACTIVE' })
    expect((await h.runService(id)).output).toContain('still version one')
  })

  it('answers 409 for an uploaded service: those are updated by uploading again', async () => {
    const socket = await UploadClient.open(h.server.url)
    const bytes = Buffer.from('#!/bin/sh\necho uploaded\n')
    await uploadFile(socket, {
      group: 'refuse-put',
      serviceName: 'uploaded-not-put',
      filePath: 'app.sh',
      bytes,
      chunkSize: 1024,
    })
    const complete = await socket.expect('FILE_UPLOAD_COMPLETE')
    await socket.close()
    const res = await put(complete.service_id, { executable_path: file })
    expect(res.status).toBe(409)
    expect(res.body.code).toBe('SERVICE_IS_UPLOADED')
    expect(res.body.error).toContain(`service_id ${complete.service_id}`)
  })
})

describe('an upload naming a service', () => {
  it('updates it in place, and the runner fetches the new file instead of its cached one', async () => {
    const socket = await UploadClient.open(h.server.url)
    const upload = { serviceName: 'uploaded-update', filePath: 'app.sh', chunkSize: 1024 }
    const one = Buffer.from('#!/bin/sh\necho "uploaded version one"\n')
    await uploadFile(socket, { ...upload, group: 'update-one', bytes: one })
    const first = await socket.expect('FILE_UPLOAD_COMPLETE')
    const id = first.service_id as number
    expect((await h.runService(id)).output).toContain('uploaded version one')

    const two = Buffer.from('#!/bin/sh\necho "uploaded version two"\n')
    // The same group protocol, naming the service by id instead of by a new name.
    const file = { ...upload, group: 'update-two', bytes: two }
    const started = await socket.request(
      fileStart(file, { service_id: id }),
      'FILE_UPLOAD_PROGRESS',
    )
    const chunk = fileChunk(started.session_id, 0, two.toString('base64'))
    await socket.request(chunk, 'FILE_UPLOAD_PROGRESS')
    await socket.request(fileEnd(started.session_id), 'FILE_UPLOAD_FILE_COMPLETE')
    const second = await socket.expect('FILE_UPLOAD_COMPLETE')
    await socket.close()
    expect(second.service_id).toBe(id)

    const after = await details(id)
    expect(after.service).toMatchObject({ id, name: 'uploaded-update', version: 2 })
    expect(after.details.upload_hash).toBe(sha256(two))
    const job = await h.runService(id)
    expect(job.output).toContain('uploaded version two')
    expect(job.input_data).toMatchObject({ service_version: 2 })
  })
})

describe('PUT with a from-git body', () => {
  const build = (word: string) =>
    `set -e\nmkdir -p out\nprintf '#!/bin/sh\\necho "built ${word}"\\n' > out/app\nchmod +x out/app\n`

  it('rebuilds from the new commit under the same id', async () => {
    const firstCommit = repo.push('main', { 'build.sh': build('first') })
    const body = {
      repo_url: repo.url,
      branch: 'main',
      build_command: 'sh build.sh',
      executable_path: 'out/app',
    }
    const created = await h.client.post('/api/services/standalone/from-git', {
      service_name: 'built',
      ...body,
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const id = created.body.service.id as number
    expect((await details(id)).details.git_commit_hash).toBe(firstCommit)
    expect((await h.runService(id)).output).toContain('built first')

    const secondCommit = repo.push('main', { 'build.sh': build('second') })
    const res = await put(id, body)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.service).toMatchObject({ id, version: 2 })
    expect((await details(id)).details.git_commit_hash).toBe(secondCommit)
    expect((await h.runService(id)).output).toContain('built second')
  })

  it('turns a git service INACTIVE when its rebuild fails, until an update succeeds', async () => {
    repo.push('main', { 'build.sh': build('sturdy') })
    const body = {
      repo_url: repo.url,
      branch: 'main',
      build_command: 'sh build.sh',
      executable_path: 'out/app',
    }
    const created = await h.client.post('/api/services/standalone/from-git', {
      service_name: 'sturdy',
      ...body,
    })
    const id = created.body.service.id as number
    const broken = await put(id, { ...body, build_command: 'echo "no compiler here" >&2; exit 3' })
    expect(broken.status).toBe(400)
    expect(broken.body).toMatchObject({ code: 'GIT_SETUP_FAILED', field: 'build_command' })
    expect((await details(id)).service).toMatchObject({ status: 'INACTIVE', version: 1 })
    const refused = await h.client.post(`/api/services/standalone/${id}/run`, {})
    expect(refused.status).toBe(409)
    expect(refused.body.code).toBe('SERVICE_INACTIVE')

    const fixed = await put(id, body)
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(200)
    expect(fixed.body.service).toMatchObject({ id, status: 'ACTIVE', version: 2 })
    expect((await h.runService(id)).output).toContain('built sturdy')
  })

  it('answers 409 UPDATE_IN_PROGRESS while another update of the service is building', async () => {
    const gate = path.join(repoRoot, 'gate-open')
    const building = path.join(repoRoot, 'building')
    repo.push('main', { 'build.sh': build('gated') })
    const id = await createLocal('gated', h.script('gated.sh', 'echo "gated version one"'))
    const slow = put(id, {
      repo_url: repo.url,
      branch: 'main',
      build_command: `touch ${building}; while [ ! -f ${gate} ]; do sleep 0.05; done; sh build.sh`,
      executable_path: 'out/app',
    })
    await eventually(() => existsSync(building) || undefined, 20_000, 'the build to start')
    const second = await put(id, { executable_path: h.script('gated-2.sh', 'echo other') })
    expect(second.status).toBe(409)
    expect(second.body.code).toBe('UPDATE_IN_PROGRESS')
    writeFileSync(gate, '')
    const first = await slow
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    expect(first.body.service).toMatchObject({ id, version: 2 })
    expect((await h.runService(id)).output).toContain('built gated')
  })
})
