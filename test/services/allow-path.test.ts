/**
 * What a runner's owner lets services run, end to end: the real orchestrator (no internal
 * workers) and real runners started with `--allow-path` globs. from-local paths are matched after
 * symlinks are resolved, uploaded and from-git services only run once the owner allows the
 * runner's own services directory, every run is checked again, and each refusal reaches the API
 * caller as `PATH_NOT_ALLOWED` naming the path and the flag.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { gitRepo, type GitRepo } from '../helpers/git-repo'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { UploadClient, uploadFile } from '../helpers/upload-client'
import {
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

let server: ZerverlessProcess
let runner: RunnerProcess
let client: ReturnType<typeof api>
let repo: GitRepo
const root = tempDir('zv-allow-')
const allowed = path.join(root, 'allowed')
const tools = path.join(root, 'tools')
const outside = path.join(root, 'outside')
const BIN = path.resolve(import.meta.dirname, '../../runner/bin/zerverless-runner.js')

/** Writes an executable script and returns its path. */
function script(file: string, body: string): string {
  mkdirSync(path.dirname(file), { recursive: true })
  writeFileSync(file, `#!/bin/sh\n${body}\n`)
  chmodSync(file, 0o755)
  return file
}

async function fromLocal(name: string, executable: string, extra: Record<string, unknown> = {}) {
  return client.post('/api/services/standalone/from-local', {
    service_name: name,
    executable_path: executable,
    ...extra,
  })
}

async function runService(id: number) {
  const started = await client.post(`/api/services/standalone/${id}/run`, {})
  expect(started.status, JSON.stringify(started.body)).toBe(202)
  return (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
}

/** Restarts the runner on its data directory (same peer id) with other flags. */
async function restartRunner(args: string[]): Promise<void> {
  await runner.stop()
  runner = await startRunner(server.url, ['--no-sandbox', ...args], { dataDir: runner.dataDir })
}

function expectRefused(res: { status: number; body: Record<string, unknown> }, named: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(403)
  expect(res.body).toMatchObject({ code: 'PATH_NOT_ALLOWED', field: 'executable_path' })
  expect(res.body.error).toContain(named)
  expect(res.body.error).toContain('--allow-path')
}

beforeAll(async () => {
  chmodSync(root, 0o755)
  mkdirSync(path.join(root, 'git'))
  repo = gitRepo(path.join(root, 'git'))
  repo.push('main', {
    'app.sh': '#!/bin/sh\necho built and run\n',
    'build.sh': 'chmod +x app.sh\n',
  })
  server = await startZerverless(['--workers', '0'])
  client = api(server.url)
  runner = await startRunner(server.url, [
    '--no-sandbox',
    '--allow-path',
    `${allowed}/*`,
    '--allow-path',
    `${tools}/**,${outside}/one-file.sh`,
  ])
}, 60_000)

afterAll(async () => {
  if (process.env.ZV_DEBUG) console.log(server?.output(), runner?.output())
  await stopRunner(runner)
  await server?.stop()
  if (server) removeDir(server.dataDir)
  removeDir(root)
})

describe('from-local with --allow-path', () => {
  it('says at start what it allows, and why', () => {
    expect(runner.output()).toContain(
      `native executables allowed: ${allowed}/*, ${tools}/**, ${outside}/one-file.sh (--allow-path)`,
    )
  })

  it('registers and runs an executable an allowed glob matches', async () => {
    const res = await fromLocal('ok', script(path.join(allowed, 'ok.sh'), 'echo allowed'))
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect((await runService(res.body.service.id)).output).toBe('allowed\n')
  })

  it('refuses an executable outside every glob with 403 PATH_NOT_ALLOWED naming it and the flag', async () => {
    const file = script(path.join(outside, 'other.sh'), 'echo should not run')
    expectRefused(await fromLocal('other', file), file)
    const list = (await client.get('/api/services/standalone')).body.services
    expect(list.some((s: { name: string }) => s.name === 'other')).toBe(false)
  })

  it('refuses /bin/sh, whose arguments would run anything', async () => {
    expectRefused(await fromLocal('shell', '/bin/sh', { arguments: ['-c', 'id'] }), '/bin/sh')
  })

  it('takes single files and comma-separated globs', async () => {
    const one = script(path.join(outside, 'one-file.sh'), 'echo one')
    expect((await fromLocal('one-file', one)).status).toBe(201)
    const deep = script(path.join(tools, 'a', 'b', 'deep.sh'), 'echo deep')
    expect((await fromLocal('deep', deep)).status).toBe(201)
  })

  it('lets * stay within one directory while ** crosses them', async () => {
    const nested = script(path.join(allowed, 'sub', 'nested.sh'), 'echo nested')
    expectRefused(await fromLocal('nested', nested), nested)
  })

  it('matches the real path: a symlink in an allowed directory to a file outside is refused', async () => {
    const target = script(path.join(outside, 'target.sh'), 'echo escaped')
    const link = path.join(allowed, 'link.sh')
    symlinkSync(target, link)
    expectRefused(await fromLocal('link', link), link)
    expect(runner.output()).toContain(target) // the owner's log names the real path
  })

  it('matches the real path: a symlink outside to an allowed file is accepted', async () => {
    const real = script(path.join(allowed, 'real.sh'), 'echo via link')
    const alias = path.join(outside, 'alias.sh')
    symlinkSync(real, alias)
    const res = await fromLocal('alias', alias)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect((await runService(res.body.service.id)).output).toBe('via link\n')
  })

  it('refuses a path that climbs out of an allowed directory with ..', async () => {
    script(path.join(outside, 'climb.sh'), 'echo climbed')
    const climbing = `${allowed}/../outside/climb.sh`
    expectRefused(await fromLocal('climb', climbing), climbing)
  })

  it('answers a missing file outside the globs like an existing one, revealing nothing', async () => {
    const missing = path.join(outside, 'no-such-file')
    expectRefused(await fromLocal('missing', missing), missing)
  })
})

describe('uploaded and from-git services', () => {
  async function upload(serviceName: string): Promise<number> {
    const socket = await UploadClient.open(server.url)
    try {
      const bytes = Buffer.from('#!/bin/sh\necho uploaded and run\n')
      const { ended } = await uploadFile(socket, {
        group: `${serviceName}-group`,
        serviceName,
        filePath: 'run.sh',
        bytes,
        chunkSize: 1024,
      })
      expect(ended.type).toBe('FILE_UPLOAD_FILE_COMPLETE')
      return (await socket.expect('FILE_UPLOAD_COMPLETE')).service_id
    } finally {
      await socket.close()
    }
  }

  const fromGit = (name: string) =>
    client.post('/api/services/standalone/from-git', {
      service_name: name,
      repo_url: repo.url,
      branch: 'main',
      build_command: 'sh build.sh',
      executable_path: 'app.sh',
    })

  it('does not fetch or run an uploaded service until the owner allows `services`', async () => {
    const id = await upload('uploaded-refused')
    const job = await runService(id)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'PATH_NOT_ALLOWED' } })
    expect(job.error.message).toContain('--allow-path services')
    const cached = path.join(runner.dataDir, 'standalone_services', 'uploaded-refused')
    expect(existsSync(cached)).toBe(false)
  })

  it('refuses a from-git service before cloning or building until the owner allows `services`', async () => {
    const res = await fromGit('git-refused')
    expect(res.status, JSON.stringify(res.body)).toBe(403)
    expect(res.body).toMatchObject({ code: 'PATH_NOT_ALLOWED' })
    expect(res.body.error).toContain('--allow-path services')
    expect(existsSync(path.join(runner.dataDir, 'standalone_services', 'git-refused'))).toBe(false)
  })

  it('runs both once the runner starts with --allow-path services', async () => {
    await restartRunner(['--allow-path', `services,${allowed}/*`])
    const uploaded = await upload('uploaded-allowed')
    expect((await runService(uploaded)).output).toBe('uploaded and run\n')
    const built = await fromGit('git-allowed')
    expect(built.status, JSON.stringify(built.body)).toBe(201)
    expect((await runService(built.body.service.id)).output).toBe('built and run\n')
  }, 60_000)
})

describe('every run is checked again', () => {
  it('fails a run with PATH_NOT_ALLOWED once the owner no longer allows its executable', async () => {
    const file = script(path.join(allowed, 'narrowed.sh'), 'echo should not run again')
    const res = await fromLocal('narrowed', file)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    await restartRunner(['--allow-path', `${tools}/**`])
    const job = await runService(res.body.service.id)
    expect(job).toMatchObject({ status: 'failed', error: { code: 'PATH_NOT_ALLOWED' } })
    expect(job.error.message).toContain(file)
    expect(job.output ?? '').not.toContain('should not run')
  }, 60_000)
})

describe('the flag itself', () => {
  it('refuses a relative glob at start, saying what it wants', () => {
    const res = spawnSync(
      process.execPath,
      [BIN, '--orchestrator', server.url, '--data-dir', root, '--allow-path', 'bin/*'],
      { encoding: 'utf8', timeout: 20_000 },
    )
    expect(res.status).toBe(2)
    expect(res.stderr).toContain("--allow-path 'bin/*'")
    expect(res.stderr).toContain('absolute')
  })
})
