/**
 * Standalone services built from git, end to end: the real orchestrator (no internal workers), a
 * real `zerverless-runner`, and a real bare repository on this machine that the runner clones
 * with the git CLI over file:// (no network). Building, branches, failures, credentials, cleanup.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { api } from '../helpers/api'
import { gitRepo, type GitRepo } from '../helpers/git-repo'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import {
  eventually,
  removeDir,
  startZerverless,
  tempDir,
  type ZerverlessProcess,
} from '../helpers/zerverless-process'

const PASSWORD = 'S3cr3t-pa55word-xyz'

let server: ZerverlessProcess
let runner: RunnerProcess
let client: ReturnType<typeof api>
let repo: GitRepo
let mainCommit: string
let featureCommit: string
const repoRoot = tempDir('zv-git-')

/** A build script that writes `out/app`: it greets with `greeting` and prints the repo's message. */
function buildScript(greeting: string): string {
  return [
    'set -e',
    'mkdir -p out',
    "cat > out/app <<'EOF'",
    '#!/bin/sh',
    `echo "${greeting}: $1"`,
    'cat "$(dirname "$0")/../message.txt"',
    'EOF',
    'chmod +x out/app',
    '',
  ].join('\n')
}

async function fromGit(body: Record<string, unknown>) {
  return client.post('/api/services/standalone/from-git', body)
}

/** A service from the pushed `main` branch, built by build.sh. */
async function createBuilt(name: string, extra: Record<string, unknown> = {}) {
  const res = await fromGit({
    service_name: name,
    repo_url: repo.url,
    branch: 'main',
    build_command: 'sh build.sh',
    executable_path: 'out/app',
    ...extra,
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.service.id as number
}

async function details(id: number) {
  return client.get(`/api/services/standalone/${id}/details`)
}

async function runService(id: number, body: Record<string, unknown> = {}) {
  const started = await client.post(`/api/services/standalone/${id}/run`, body)
  expect(started.status, JSON.stringify(started.body)).toBe(202)
  return (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
}

/** Every file under `dir`, recursively (symlinks are not followed). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return filesUnder(full)
    return entry.isFile() ? [full] : []
  })
}

/** The files under `dir` whose bytes contain `text`. */
function filesContaining(dir: string, text: string): string[] {
  const needle = Buffer.from(text, 'ascii')
  return filesUnder(dir).filter((file) => readFileSync(file).includes(needle))
}

beforeAll(async () => {
  repo = gitRepo(repoRoot)
  mainCommit = repo.push('main', {
    'build.sh': buildScript('built from git'),
    'message.txt': 'message from main\n',
  })
  featureCommit = repo.push('feature', {
    'build.sh': buildScript('built from feature'),
    'message.txt': 'message from feature\n',
  })
  server = await startZerverless(['--workers', '0'])
  client = api(server.url)
  runner = await startRunner(server.url)
}, 60_000)

afterAll(async () => {
  if (process.env.ZV_DEBUG) console.log(server?.output(), runner?.output())
  await stopRunner(runner)
  await server?.stop()
  if (server) removeDir(server.dataDir)
  removeDir(repoRoot)
})

describe('services from git', () => {
  it('clones, builds and runs a service from a repository', async () => {
    const res = await fromGit({
      service_name: 'git-app',
      repo_url: repo.url,
      branch: 'main',
      build_command: 'sh build.sh',
      executable_path: 'out/app',
      arguments: ['one'],
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({
      success: true,
      service: { name: 'git-app', status: 'ACTIVE', peer_id: runner.peerId },
    })
    const id = res.body.service.id as number
    const { body } = await details(id)
    expect(body.details).toMatchObject({
      source: 'git',
      git_repo_url: repo.url,
      git_commit_hash: mainCommit,
    })
    expect(body.details.executable_path).toBe(
      path.join(runner.dataDir, 'standalone_services', 'git-app', 'repo', 'out', 'app'),
    )
    const job = await runService(id)
    expect(job).toMatchObject({ status: 'completed', exit_code: 0 })
    expect(job.output).toBe('built from git: one\nmessage from main\n')
  })

  it('clones the named branch', async () => {
    const res = await fromGit({
      service_name: 'git-feature',
      repo_url: repo.url,
      branch: 'feature',
      build_command: 'sh build.sh',
      executable_path: 'out/app',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const id = res.body.service.id as number
    expect((await details(id)).body.details.git_commit_hash).toBe(featureCommit)
    const job = await runService(id, { arguments: ['two'] })
    expect(job).toMatchObject({ status: 'completed', exit_code: 0 })
    expect(job.output).toBe('built from feature: two\nmessage from feature\n')
  })

  it('reports a failing build with its exit code and stderr, and keeps no service', async () => {
    const res = await fromGit({
      service_name: 'git-broken',
      repo_url: repo.url,
      branch: 'main',
      build_command: 'echo boom >&2; exit 3',
      executable_path: 'out/app',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.code).toBe('GIT_SETUP_FAILED')
    expect(res.body.error).toMatch(/^build failed: /)
    expect(res.body.error).toContain('code 3')
    expect(res.body.error).toContain('boom')
    const { body } = await client.get('/api/services/standalone')
    expect(body.services.map((s: { name: string }) => s.name)).not.toContain('git-broken')
    expect(existsSync(path.join(runner.dataDir, 'standalone_services', 'git-broken'))).toBe(false)
    // The name is free again.
    await createBuilt('git-broken')
  })

  it('reports a built path that is missing as an invalid executable', async () => {
    const res = await fromGit({
      service_name: 'git-missing',
      repo_url: repo.url,
      branch: 'main',
      executable_path: 'out/app',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.code).toBe('GIT_SETUP_FAILED')
    expect(res.body.error).toMatch(/^invalid executable: /)
    expect(existsSync(path.join(runner.dataDir, 'standalone_services', 'git-missing'))).toBe(false)
  })

  it('reports a repository that cannot be cloned', async () => {
    const res = await fromGit({
      service_name: 'git-nowhere',
      repo_url: 'file:///nonexistent/repo.git',
      executable_path: 'app',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.code).toBe('GIT_SETUP_FAILED')
    expect(res.body.error).toMatch(/^failed to clone repository: /)
  })

  it('reports a branch the repository does not have as a failed clone', async () => {
    const res = await fromGit({
      service_name: 'git-no-branch',
      repo_url: repo.url,
      branch: 'no-such-branch',
      build_command: 'sh build.sh',
      executable_path: 'out/app',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.error).toMatch(/^failed to clone repository: /)
    expect(res.body.error).toContain('no-such-branch')
  })
})

describe('credentials', () => {
  it('never stores or logs the password', async () => {
    const id = await createBuilt('git-private', { username: 'alice', password: PASSWORD })
    const job = await runService(id, { arguments: ['private'] })
    expect(job.output).toContain('built from git: private')

    const seen = [
      JSON.stringify((await details(id)).body),
      JSON.stringify((await client.get('/api/services/standalone')).body),
      JSON.stringify(job),
      server.output(),
      runner.output(),
    ]
    for (const text of seen) expect(text).not.toContain(PASSWORD)
    // SQLite's database, WAL and journal files included.
    expect(filesContaining(server.dataDir, PASSWORD)).toEqual([])
    expect(filesContaining(runner.dataDir, PASSWORD)).toEqual([])
  })

  it('keeps credentials written into the URL out of messages and off disk', async () => {
    // Nothing listens on port 9, so the clone fails at once with "connection refused".
    const res = await fromGit({
      service_name: 'git-url-secret',
      repo_url: 'https://alice:S3cr3t-in-url@127.0.0.1:9/nothing.git',
      executable_path: 'app',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body.error).toMatch(/^failed to clone repository: /)
    expect(res.body.field).toBe('repo_url')
    expect(JSON.stringify(res.body)).not.toContain('S3cr3t-in-url')
    expect(runner.output()).not.toContain('S3cr3t-in-url')
    // The orchestrator keeps the URL without them, even in a row it wrote and removed.
    expect(filesContaining(server.dataDir, 'S3cr3t-in-url')).toEqual([])
  })
})

describe('unsafe input', () => {
  it.each([['../outside'], ['/abs/path'], ['out/../../outside']])(
    'rejects executable_path %s',
    async (executable) => {
      const res = await fromGit({
        service_name: 'git-unsafe',
        repo_url: repo.url,
        executable_path: executable,
      })
      expect(res.status, JSON.stringify(res.body)).toBe(400)
      expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'executable_path' })
    },
  )

  it('rejects a repository URL that is not http(s), ssh, git@, file or an absolute path', async () => {
    const res = await fromGit({
      service_name: 'git-ftp',
      repo_url: 'ftp://x',
      executable_path: 'app',
    })
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body).toMatchObject({ code: 'INVALID_REQUEST', field: 'repo_url' })
  })
})

describe('deleting', () => {
  it("removes the runner's clone", async () => {
    const id = await createBuilt('git-doomed')
    const clone = path.join(runner.dataDir, 'standalone_services', 'git-doomed')
    expect(existsSync(path.join(clone, 'repo', 'out', 'app'))).toBe(true)
    const res = await client.delete(`/api/services/standalone/${id}`)
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ success: true, message: 'Service deleted successfully' })
    await eventually(() => !existsSync(clone), 10_000, 'the clone to be removed')
    expect((await details(id)).status).toBe(404)
  })
})
