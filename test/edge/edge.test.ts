/**
 * What only the edge has: job rooms spread over namespaces with volunteers moved to where work
 * waits, state that survives a restart (a deploy) in the middle of work, and runners, services
 * and uploads reaching room 0. Real workerd (`wrangler dev`), real worker and runner processes.
 */
import { chmodSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { roomOf } from '../../edge/workers/room-routing'
import { api } from '../helpers/api'
import { startEdge, type EdgeProcess } from '../helpers/edge-process'
import { startRunner, stopRunner, type RunnerProcess } from '../helpers/runner-process'
import { UploadClient, uploadFile } from '../helpers/upload-client'
import { startWorker, type WorkerProcess } from '../helpers/worker-process'
import { eventually, removeDir, tempDir } from '../helpers/zerverless-process'

const ROOMS = 4

/** Namespace names that land in `count` different rooms. */
function namespacesInDistinctRooms(count: number): string[] {
  const byRoom = new Map<number, string>()
  for (let i = 0; byRoom.size < count; i++) {
    const ns = `edge-ns-${i}`
    if (!byRoom.has(roomOf(ns, ROOMS))) byRoom.set(roomOf(ns, ROOMS), ns)
  }
  return [...byRoom.values()]
}

const idle = async (url: string, count: number) =>
  eventually(
    async () => ((await api(url).get('/stats')).body.volunteers?.idle ?? 0) >= count || undefined,
    60_000,
    `${count} idle volunteers`,
  )

describe('job rooms on the edge', () => {
  const started: { edge?: EdgeProcess; workers: WorkerProcess[] } = { workers: [] }

  afterEach(async () => {
    for (const worker of started.workers.splice(0)) await worker.kill()
    await started.edge?.dispose()
    started.edge = undefined
  })

  it('spreads namespaces over rooms, and one volunteer moves to each room that has work', async () => {
    const edge = (started.edge = await startEdge({ rooms: ROOMS }))
    started.workers.push(startWorker(edge.wsUrl, 1))
    await idle(edge.url, 1)
    const client = api(edge.url)
    const namespaces = namespacesInDistinctRooms(3)
    const jobs = await Promise.all(
      namespaces.map((namespace) =>
        client.run(
          { job_type: 'js', code: 'INPUT.ns', input_data: { ns: namespace }, namespace },
          60,
        ),
      ),
    )
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed', 'completed'])
    expect(jobs.map((j) => j.result)).toEqual(namespaces)
    // Each job lives in its namespace's room, and its id says which.
    expect(jobs.map((j) => j.id.split('-')[0])).toEqual(
      namespaces.map((ns) => `r${roomOf(ns, ROOMS)}`),
    )
    const stats = (await client.get('/stats')).body
    expect(stats).toMatchObject({ rooms: ROOMS, jobs: { completed: 3 } })
  }, 90_000)

  it('moves a volunteer that was busy when work came elsewhere, once its job ends', async () => {
    const edge = (started.edge = await startEdge({ rooms: ROOMS }))
    started.workers.push(startWorker(edge.wsUrl, 1))
    await idle(edge.url, 1)
    const client = api(edge.url)
    // A job in every room, each long enough that the balancer asks the volunteer to move while
    // it still runs one: it must move when that job ends, though its free prefetch slot means
    // its room's load reads the same before, during and after the job.
    const namespaces = namespacesInDistinctRooms(ROOMS)
    const code = 'const end = Date.now() + 1000; while (Date.now() < end) {} INPUT.ns'
    const jobs = await Promise.all(
      namespaces.map((namespace) =>
        client.run({ job_type: 'js', code, input_data: { ns: namespace }, namespace }, 60),
      ),
    )
    expect(jobs.map((j) => j.status)).toEqual(Array(ROOMS).fill('completed'))
    expect(jobs.map((j) => j.result)).toEqual(namespaces)
  }, 90_000)

  it('learns that volunteers it sent to a room never came, and moves a real one to the work', async () => {
    const edge = (started.edge = await startEdge({ rooms: ROOMS }))
    started.workers.push(startWorker(edge.wsUrl, 1))
    await idle(edge.url, 1)
    const client = api(edge.url)
    const inRoom = (room: number) => {
      for (let i = 0; ; i++) if (roomOf(`edge-ns-${i}`, ROOMS) === room) return `edge-ns-${i}`
    }
    // The volunteer starts in room 0; work in room 1 moves it there.
    const moved = await client.run({ job_type: 'js', code: '1', namespace: inRoom(1) }, 30)
    expect(moved.status).toBe('completed')
    await new Promise((r) => setTimeout(r, 1000))
    // Sockets that close before their hello: the balancer counts each as an idle volunteer of the
    // room it placed it in (two of them in room 0), and room 0's load never changed.
    for (let i = 0; i < 4; i++) {
      const socket = new WebSocket(edge.wsUrl)
      await new Promise((resolve, reject) => {
        socket.once('open', resolve)
        socket.once('error', reject)
      })
      socket.close()
      await new Promise((resolve) => socket.once('close', resolve))
    }
    await new Promise((r) => setTimeout(r, 500))
    // Work in room 3: room 0 looks like the best donor, but has nobody to give.
    const job = await client.run({ job_type: 'js', code: '"ran"', namespace: inRoom(3) }, 30)
    expect(job).toMatchObject({ status: 'completed', result: 'ran' })
  }, 90_000)

  it('loses no job when the orchestrator restarts in the middle of work', async () => {
    const stateDir = tempDir('zv-edge-restart-')
    let edge = (started.edge = await startEdge({ rooms: 2, stateDir }))
    started.workers.push(startWorker(edge.wsUrl, 2))
    await idle(edge.url, 1)
    const client = api(edge.url)
    // Two slow jobs (about 1.5 s each) and six quick ones.
    const slow = 'const end = Date.now() + 1500; while (Date.now() < end) {} INPUT.n'
    const submitted = await Promise.all(
      Array.from({ length: 8 }, (_, n) =>
        client.post('/api/jobs', {
          job_type: 'js',
          code: n < 2 ? slow : 'INPUT.n',
          input_data: { n },
        }),
      ),
    )
    expect(submitted.map((s) => s.status)).toEqual(Array(8).fill(201))
    await eventually(
      async () =>
        (await client.get(`/api/jobs/${submitted[0]!.body.id}`)).body.status === 'running' ||
        undefined,
    )

    // A deploy: the process goes away with the sockets; the state stays.
    await edge.stop()
    edge = started.edge = await startEdge({ rooms: 2, stateDir, port: edge.port })
    const after = api(edge.url)
    const finished = await Promise.all(
      submitted.map(async (s) => (await after.get(`/api/jobs/${s.body.id}?wait=30`)).body),
    )
    expect(finished.map((j) => j.status)).toEqual(Array(8).fill('completed'))
    expect(finished.map((j) => j.result)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
    // Every result was accepted exactly once.
    expect((await after.get('/stats')).body.jobs).toMatchObject({
      completed: 8,
      running: 0,
      pending: 0,
    })
    removeDir(stateDir)
  }, 90_000)
})

describe('standalone services on the edge', () => {
  let edge: EdgeProcess
  let runner: RunnerProcess
  let client: ReturnType<typeof api>
  const dir = tempDir('zv-edge-services-')

  beforeAll(async () => {
    edge = await startEdge({ rooms: ROOMS })
    client = api(edge.url)
    runner = await startRunner(edge.url, ['--no-sandbox'])
  }, 90_000)

  afterAll(async () => {
    await stopRunner(runner)
    await edge?.dispose()
    removeDir(dir)
  })

  it('runs a runner-local executable and serves its outputs from R2', async () => {
    const script = path.join(dir, 'test_script.sh')
    writeFileSync(script, '#!/bin/sh\necho "args: $*"\necho oops >&2\n')
    chmodSync(script, 0o755)
    const peers = (await client.get('/api/peers')).body.peers
    expect(peers.map((p: { peer_id: string }) => p.peer_id)).toContain(runner.peerId)
    const created = await client.post('/api/services/standalone/from-local', {
      service_name: 'edge-script',
      executable_path: script,
    })
    expect(created.status, JSON.stringify(created.body)).toBe(201)
    const id = created.body.service.id
    const started = await client.post(`/api/services/standalone/${id}/run`, {
      arguments: ['a', 'b'],
    })
    expect(started.status).toBe(202)
    const job = (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
    expect(job).toMatchObject({ status: 'completed', exit_code: 0 })
    const stdout = await fetch(`${edge.url}/api/jobs/${job.id}/outputs/stdout.txt`)
    expect(await stdout.text()).toBe('args: a b\n')
    const stderr = await fetch(`${edge.url}/api/jobs/${job.id}/outputs/stderr.txt`)
    expect(await stderr.text()).toBe('oops\n')
  })

  it('updates a service in place: same id, next version, the new executable', async () => {
    const write = (name: string, body: string) => {
      const file = path.join(dir, name)
      writeFileSync(file, `#!/bin/sh\n${body}\n`)
      chmodSync(file, 0o755)
      return file
    }
    const created = await client.post('/api/services/standalone/from-local', {
      service_name: 'edge-updated',
      executable_path: write('edge-v1.sh', 'echo one'),
    })
    const id = created.body.service.id
    const updated = await client.put(`/api/services/standalone/${id}`, {
      executable_path: write('edge-v2.sh', 'echo two'),
    })
    expect(updated.status, JSON.stringify(updated.body)).toBe(200)
    expect(updated.body.service).toMatchObject({ id, version: 2 })
    const started = await client.post(`/api/services/standalone/${id}/run`, {})
    const job = (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
    expect(job).toMatchObject({ status: 'completed', input_data: { service_version: 2 } })
    const stdout = await fetch(`${edge.url}/api/jobs/${job.id}/outputs/stdout.txt`)
    expect(await stdout.text()).toBe('two\n')
  })

  it("hands one run's outputs to the next as its input files and stdin", async () => {
    const write = (name: string, body: string) => {
      const file = path.join(dir, name)
      writeFileSync(file, `#!/bin/sh\n${body}\n`)
      chmodSync(file, 0o755)
      return file
    }
    const create = async (name: string, file: string, mount: string, fn: string) => {
      const created = await client.post('/api/services/standalone/from-local', {
        service_name: name,
        executable_path: file,
        custom_interfaces: [{ interface_type: 'MOUNT', path: mount, mount_function: fn }],
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      return created.body.service.id as number
    }
    const run = async (id: number, body: Record<string, unknown>) => {
      const started = await client.post(`/api/services/standalone/${id}/run`, body)
      expect(started.status, JSON.stringify(started.body)).toBe(202)
      return (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
    }
    const a = await create(
      'edge-a',
      write('a.sh', 'printf alpha > "$ZV_OUTPUT_DIR/a.txt"; echo said'),
      '/out',
      'OUTPUT',
    )
    const b = await create(
      'edge-b',
      write('b.sh', 'echo "$(cat "$ZV_INPUT_DIR/a.txt") $(cat)"'),
      '/in',
      'INPUT',
    )
    const first = await run(a, {})
    expect(first.status, JSON.stringify(first)).toBe('completed')
    const second = await run(b, {
      input_files: [{ from_job: first.id, output: 'mounts/out/a.txt' }],
      stdin_from: { job: first.id, output: 'stdout.txt' },
    })
    expect(second).toMatchObject({ status: 'completed', output: 'alpha said\n' })
  })

  it('takes an upload over /ws/upload and runs it on the runner', async () => {
    const socket = await UploadClient.open(edge.url)
    try {
      const bytes = Buffer.from(`#!/bin/sh\necho uploaded "$1"\n${'# padding\n'.repeat(200)}`)
      const { ended } = await uploadFile(socket, {
        group: 'edge-upload',
        serviceName: 'edge-uploaded',
        filePath: 'run.sh',
        bytes,
        chunkSize: 512,
      })
      expect(ended.type).toBe('FILE_UPLOAD_FILE_COMPLETE')
      const complete = await socket.expect('FILE_UPLOAD_COMPLETE')
      const started = await client.post(`/api/services/standalone/${complete.service_id}/run`, {
        arguments: ['hi'],
      })
      expect(started.status, JSON.stringify(started.body)).toBe(202)
      const job = (await client.get(`/api/jobs/${started.body.job.id}?wait=30`)).body
      expect(job).toMatchObject({ status: 'completed', output: 'uploaded hi\n' })
    } finally {
      await socket.close()
    }
  })
})

describe('auth on the edge', () => {
  let edge: EdgeProcess
  const ADMIN = 'edge-admin-token-0123456789abcdef'

  beforeAll(async () => {
    edge = await startEdge({ rooms: ROOMS, vars: { AUTH: 'on', ADMIN_TOKEN: ADMIN } })
  }, 90_000)

  afterAll(async () => {
    await edge?.dispose()
  })

  const call = (route: string, token?: string, init: RequestInit = {}) =>
    fetch(`${edge.url}${route}`, {
      ...init,
      headers: {
        ...(token && { authorization: `Bearer ${token}` }),
        'content-type': 'application/json',
      },
    })

  it('issues tokens in room 0 that every room honours for their namespaces only', async () => {
    expect((await call('/api/db/anyone/k')).status).toBe(401)
    // Alice's namespace lives in a room other than 0, which asks room 0 about her token.
    const [alice, other] = namespacesInDistinctRooms(ROOMS).filter((ns) => roomOf(ns, ROOMS) !== 0)
    const issued = await call('/api/tokens', ADMIN, {
      method: 'POST',
      body: JSON.stringify({ namespaces: [alice], rights: ['db'] }),
    })
    expect(issued.status).toBe(201)
    const { token } = (await issued.json()) as { token: string }
    const put = await call(`/api/db/${alice}/k`, token, {
      method: 'PUT',
      body: JSON.stringify({ value: 7 }),
    })
    expect(put.status).toBe(200)
    expect(await (await call(`/api/db/${alice}/k`, token)).json()).toMatchObject({ value: 7 })
    expect((await call(`/api/db/${other}/k`, token)).status).toBe(403)
    const forged = `${token.slice(0, -4)}AAAA`
    expect((await call(`/api/db/${alice}/k`, forged)).status).toBe(401)
    expect((await call('/health')).status).toBe(200)
  })
})
