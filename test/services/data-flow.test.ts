/**
 * Data flowing between native runs, end to end: the Node host in this process with auth on, and
 * two real `zerverless-runner` processes. Runner A's script writes files to its OUTPUT mount and
 * prints; runner B's script gets them in its INPUT mount and A's stdout as its stdin, moved
 * through the orchestrator and checked by sha256; the refusals, the token rules of the outputs a
 * runner may read, a tampered output, and the seed's layout for a workflow's job.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonLogger } from '../../edge/core/observability/logger'
import { startServer, type RunningServer } from '../../edge/node/server'
import { api, type ApiClient } from '../helpers/api'
import { eventually } from '../helpers/eventually'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { removeDir, tempDir } from '../helpers/temp-dir'

const ADMIN = `admin-${randomBytes(16).toString('hex')}`
const RUNNER_TOKEN = `runner-${randomBytes(16).toString('hex')}`

let server: RunningServer
let dataDir: string
let scripts: string
let runnerA: RunnerProcess
let runnerB: RunnerProcess
let admin: ApiClient
let alice: ApiClient
let bob: ApiClient
/** Alice's services: A writes outputs on runner A, B reads inputs on runner B, slow waits. */
const ids = { a: 0, b: 0, slow: 0, bob: 0 }
let jobA: string

/** A JSON client that sends `token` as its Bearer credential. */
function as(token: string): ApiClient {
  return api((route, init) =>
    fetch(server.url + route, {
      ...init,
      headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${token}` },
    }),
  )
}

function script(name: string, body: string): string {
  const file = path.join(scripts, name)
  writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 })
  return file
}

async function create(client: ApiClient, body: Record<string, unknown>): Promise<number> {
  const res = await client.post('/api/services/standalone/from-local', body)
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.service.id
}

/** Starts a run (expecting 202) and waits for its job to end. */
async function run(client: ApiClient, id: number, body: Record<string, unknown> = {}) {
  const started = await client.post(`/api/services/standalone/${id}/run`, body)
  expect(started.status, JSON.stringify(started.body)).toBe(202)
  return (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
}

/** The body that gives B all of A's mount outputs, A's stdout as a file, and A's stdout as stdin. */
const fromA = (job: string) => ({
  input_files: [
    { from_job: job, outputs: 'mounts/data/out/' },
    { from_job: job, output: 'stdout.txt', name: 'a-stdout.txt' },
  ],
  stdin_from: { job, output: 'stdout.txt' },
})

/** Where runner B keeps a job, as the runner lays it out. */
function jobDir(workflow: string, execution: string): string {
  const orchestrator = server.orchestrator.config.nodeId
  return path.join(
    runnerB.dataDir,
    'workflows',
    orchestrator,
    workflow,
    'jobs',
    runnerB.peerId,
    execution,
  )
}

beforeAll(async () => {
  dataDir = tempDir('zv-flow-')
  scripts = tempDir('zv-flow-scripts-')
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir,
    workers: 0,
    logger: jsonLogger(() => {}, 'error'),
    config: {
      auth: { enabled: true, adminToken: ADMIN, secret: randomBytes(32) },
      runnerToken: RUNNER_TOKEN,
    },
  })
  admin = as(ADMIN)
  const issue = async (namespace: string) =>
    as(
      (await admin.post('/api/tokens', { namespaces: [namespace], rights: ['jobs', 'services'] }))
        .body.token,
    )
  alice = await issue('alice')
  bob = await issue('bob')
  runnerA = await startRunner(server.url, ['--token', RUNNER_TOKEN, '--no-sandbox'])
  runnerB = await startRunner(server.url, ['--token', RUNNER_TOKEN, '--no-sandbox'])
  const mounts = (fn: 'INPUT' | 'OUTPUT', at: string) => [
    { interface_type: 'MOUNT', path: at, mount_function: fn },
  ]
  ids.a = await create(alice, {
    service_name: 'flow-a',
    namespace: 'alice',
    peer_id: runnerA.peerId,
    executable_path: script(
      'a.sh',
      [
        'mkdir -p "$ZV_OUTPUT_DIR/sub"',
        'printf alpha > "$ZV_OUTPUT_DIR/a.txt"',
        'printf beta > "$ZV_OUTPUT_DIR/sub/b.txt"',
        'echo "line one"; echo "line two"',
      ].join('\n'),
    ),
    custom_interfaces: mounts('OUTPUT', '/data/out'),
  })
  ids.b = await create(alice, {
    service_name: 'flow-b',
    namespace: 'alice',
    peer_id: runnerB.peerId,
    executable_path: script(
      'b.sh',
      [
        'cd "$ZV_INPUT_DIR"',
        'for f in $(find . -type f | sort); do echo "file ${f#./}: $(cat "$f")"; done',
        'echo "stdin: $(cat | tr "\\n" "|")"',
      ].join('\n'),
    ),
    custom_interfaces: mounts('INPUT', '/data/in'),
  })
  ids.slow = await create(alice, {
    service_name: 'flow-slow',
    namespace: 'alice',
    peer_id: runnerB.peerId,
    executable_path: script('slow.sh', 'sleep 60'),
    custom_interfaces: mounts('INPUT', '/data/in'),
  })
  ids.bob = await create(bob, {
    service_name: 'flow-bob',
    namespace: 'bob',
    peer_id: runnerA.peerId,
    executable_path: script('bob.sh', 'echo "bob\'s secret"'),
  })
  const a = await run(alice, ids.a)
  expect(a.status, JSON.stringify(a)).toBe('completed')
  jobA = a.id
}, 90_000)

afterAll(async () => {
  await stopRunner(runnerA)
  await stopRunner(runnerB)
  await server?.close()
  removeDir(dataDir)
  removeDir(scripts)
})

describe('a run that takes its inputs from an earlier job', () => {
  it("gets A's mount files and stdout as files and A's stdout as stdin, on another runner", async () => {
    const b = await run(alice, ids.b, fromA(jobA))
    expect(b.status, JSON.stringify(b)).toBe('completed')
    expect(b.output).toBe(
      [
        'file a-stdout.txt: line one\nline two',
        'file a.txt: alpha',
        'file sub/b.txt: beta',
        'stdin: line one|line two|',
        '',
      ].join('\n'),
    )
    // It ran on runner B, in the plain layout: workflows/{orchestrator}/{job}/jobs/{peer}/{job}-{attempt}.
    const mount = path.join(jobDir(b.id, `${b.id}-1`), 'mounts', 'data', 'in')
    expect(readFileSync(path.join(mount, 'sub', 'b.txt'), 'utf8')).toBe('beta')
  }, 60_000)

  it('gives an empty mount for a prefix with no outputs under it', async () => {
    const b = await run(alice, ids.b, {
      input_files: [{ from_job: jobA, outputs: 'mounts/nothing/' }],
    })
    expect(b).toMatchObject({ status: 'completed', output: 'stdin: \n' })
  }, 60_000)

  it("lays a workflow's job out as the seed says, and a repeated id gets the same job", async () => {
    const services = server.orchestrator.services
    const jobId = 'wf-run-1.read.0.1'
    const options = { workflowRun: 'wf-run-1', jobId }
    const job = await services.runFor('alice', 'flow-b', fromA(jobA), options)
    expect(job.id).toBe(jobId)
    const again = await services.runFor('alice', ids.b, fromA(jobA), options)
    expect(again.id).toBe(jobId)
    const done = (await alice.get(`/api/jobs/${jobId}?wait=30`)).body
    expect(done.status, JSON.stringify(done)).toBe('completed')
    expect(done.output).toContain('file sub/b.txt: beta')
    // {dataDir}/workflows/{orchestrator}/{workflow_run}/jobs/{peer}/{job_id}/
    const dir = jobDir('wf-run-1', jobId)
    expect(readFileSync(path.join(dir, 'mounts', 'data', 'in', 'a.txt'), 'utf8')).toBe('alpha')
    expect(readFileSync(path.join(dir, 'output', 'stdout.txt'), 'utf8')).toBe(done.output)
    // Its body is parsed as the API's is.
    await expect(
      services.runFor('alice', 'flow-b', { input_files: [{ from_job: jobA }] }),
    ).rejects.toMatchObject({ status: 400, extra: { field: 'input_files' } })
    // The engine names services of its own namespace only.
    await expect(services.runFor('bob', 'flow-b', {})).rejects.toMatchObject({
      status: 404,
      code: 'SERVICE_NOT_FOUND',
    })
    await expect(services.runFor('alice', 'flow-b', {}, { jobId: jobA })).rejects.toMatchObject({
      status: 409,
      code: 'JOB_EXISTS',
    })
  }, 60_000)

  it('refuses unknown jobs, missing outputs and other namespaces, naming the field', async () => {
    const refused = async (body: Record<string, unknown>) =>
      (await alice.post(`/api/services/standalone/${ids.b}/run`, body)) as {
        status: number
        body: { code: string; field: string; error: string }
      }
    const cases: [Record<string, unknown>, number, string, string][] = [
      [
        { input_files: [{ from_job: 'no-such-job', output: 'stdout.txt' }] },
        404,
        'JOB_NOT_FOUND',
        'input_files.0.from_job',
      ],
      [
        { input_files: [{ from_job: jobA, output: 'mounts/data/out/c.txt' }] },
        400,
        'OUTPUT_NOT_FOUND',
        'input_files.0.output',
      ],
      [
        { stdin_from: { job: jobA, output: 'nope.txt' } },
        400,
        'OUTPUT_NOT_FOUND',
        'stdin_from.output',
      ],
      [
        { stdin: 'x', stdin_from: { job: jobA, output: 'stdout.txt' } },
        400,
        'INVALID_REQUEST',
        'stdin_from',
      ],
      [{ input_files: [{ from_job: jobA }] }, 400, 'INVALID_REQUEST', 'input_files.0.output'],
    ]
    for (const [body, status, code, at] of cases) {
      const res = await refused(body)
      expect(res, at).toMatchObject({ status, body: { code, field: at.split('.')[0] } })
      expect(res.body.error).toMatch(new RegExp(`^${at.replace(/\./g, '\\.')}`))
    }
    // Bob's job is not one alice can name: as unknown as one that never was.
    const bobs = await run(bob, ids.bob)
    expect(bobs.status).toBe('completed')
    const other = await refused({ stdin_from: { job: bobs.id, output: 'stdout.txt' } })
    expect(other).toMatchObject({
      status: 404,
      body: { code: 'JOB_NOT_FOUND', field: 'stdin_from' },
    })
    expect(other.body.error).toBe(`stdin_from.job: no job with id ${bobs.id} in namespace 'alice'`)
  }, 60_000)

  it("merges a run's requirements over the service's for placement", async () => {
    const res = await alice.post(`/api/services/standalone/${ids.b}/run`, {
      requirements: { min_memory_mb: 1_000_000_000 },
    })
    expect(res).toMatchObject({ status: 409, body: { code: 'NO_COMPATIBLE_RUNNER' } })
    expect(res.body.error).toContain('insufficient memory')
  })
})

describe('what a runner may read with its job token', () => {
  it('reads exactly the outputs its run takes, nothing else', async () => {
    const started = await alice.post(`/api/services/standalone/${ids.slow}/run`, {
      input_files: [{ from_job: jobA, output: 'mounts/data/out/a.txt' }],
    })
    expect(started.status, JSON.stringify(started.body)).toBe(202)
    const slow: string = started.body.job.id
    const token = await eventually(() => server.orchestrator.scheduler.jobToken(slow)?.token)
    const read = (from: string, name: string, reader: string, bearer = token) =>
      fetch(`${server.url}/api/jobs/${from}/outputs/${name}?for=${reader}`, {
        headers: { authorization: `Bearer ${bearer}` },
      })
    try {
      const ok = await read(jobA, 'mounts/data/out/a.txt', slow)
      expect(ok.status).toBe(200)
      expect(await ok.text()).toBe('alpha')
      // An output of the same job that the run does not take.
      expect((await read(jobA, 'stdout.txt', slow)).status).toBe(403)
      // Another job's outputs altogether (bob's), and a job the run has nothing to do with.
      const bobs = await run(bob, ids.bob)
      expect((await read(bobs.id, 'stdout.txt', slow)).status).toBe(403)
      // Its token is no credential for another job's reads, nor a wrong one for its own.
      expect((await read(jobA, 'mounts/data/out/a.txt', bobs.id)).status).toBe(401)
      expect((await read(jobA, 'mounts/data/out/a.txt', slow, 'x'.repeat(32))).status).toBe(401)
      // Nor is it an API token.
      const plain = await fetch(`${server.url}/api/jobs/${jobA}/outputs/stdout.txt`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(plain.status).toBe(401)
    } finally {
      await alice.delete(`/api/jobs/${slow}`)
    }
  }, 60_000)

  it('fails a run whose input arrives changed, and leaves nothing half-written', async () => {
    const a = await run(alice, ids.a)
    expect(a.status).toBe('completed')
    // Its stored copy changes on disk (same size); the sha256 recorded when it was uploaded stays.
    writeFileSync(
      path.join(dataDir, 'job-outputs', a.id, 'mounts', 'data', 'out', 'a.txt'),
      'ALPHA',
    )
    const b = await run(alice, ids.b, {
      input_files: [{ from_job: a.id, output: 'mounts/data/out/a.txt' }],
    })
    expect(b).toMatchObject({ status: 'failed', error: { code: 'INPUT_UNAVAILABLE' } })
    expect(b.error.message).toContain('arrived changed')
    const mount = path.join(jobDir(b.id, `${b.id}-1`), 'mounts', 'data', 'in')
    expect(existsSync(path.join(mount, 'a.txt'))).toBe(false)
  }, 60_000)
})
